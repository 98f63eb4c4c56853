"""``python -m dashboard [streamlit options]``: start the dashboard, warmed up.

``streamlit run dashboard/app_server.py [options]``: the router served as an ``st.App`` with the
route that lets a browser stay signed in across page loads (:mod:`dashboard.remember`), plus a
warm-up: the page libraries are imported and each page's default view is computed while the server
starts, so the first visit is as fast as the next ones (see :mod:`dashboard.warmup`).
``streamlit run dashboard/streamlit_app.py`` also works, without either.
"""

from __future__ import annotations

import sys
from pathlib import Path

from dashboard import warmup

APP = Path(__file__).resolve().parent / "app_server.py"


def main(argv: list[str]) -> int:
    from streamlit.web import cli

    warmup.start()
    # The tables' own CSV download and copy bypass the audited, disclosure-controlled downloads: off even
    # when started from a folder without this repository's .streamlit/config.toml.
    forced = [] if any(a.startswith("--client.disableDataExport") for a in argv) else \
        ["--client.disableDataExport", "true"]
    sys.argv = ["streamlit", "run", str(APP), *forced, *argv]
    try:
        cli.main()
    except SystemExit as done:
        return int(done.code or 0)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
