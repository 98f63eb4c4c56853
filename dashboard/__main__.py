"""``python -m dashboard [streamlit options]``: start the dashboard, warmed up.

The same as ``streamlit run dashboard/streamlit_app.py [options]`` (which also works), except
that the page libraries are imported and each page's default view is computed while the server
starts, so the first visit is as fast as the next ones (see :mod:`dashboard.warmup`).
"""

from __future__ import annotations

import sys
from pathlib import Path

from dashboard import warmup

APP = Path(__file__).resolve().parent / "streamlit_app.py"


def main(argv: list[str]) -> int:
    from streamlit.web import cli

    warmup.start()
    sys.argv = ["streamlit", "run", str(APP), *argv]
    try:
        cli.main()
    except SystemExit as done:
        return int(done.code or 0)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
