"""``python -m dashboard [streamlit options]``: start the dashboard, warmed up.

``streamlit run dashboard/app_server.py [options]``: the router served as an ``st.App`` with the
route that lets a browser stay signed in across page loads (:mod:`dashboard.session.remember`), plus a
warm-up: the page libraries are imported and each page's default view is computed while the server
starts, so the first visit is as fast as the next ones (see :mod:`dashboard.warmup`).
``streamlit run dashboard/streamlit_app.py`` also works, without either.

It also tells Streamlit's server which proxies may name the client address (see :func:`trust_proxies`).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from dashboard import warmup
from etl.store.db import owner_only_umask

APP = Path(__file__).resolve().parent / "app_server.py"


def trust_proxies() -> None:
    """Make Streamlit's server believe X-Forwarded-For from the ``trusted_proxies`` setting only.

    The server (uvicorn) replaces a connection's address with the one X-Forwarded-For names when the
    connection comes from ``FORWARDED_ALLOW_IPS``, by default this machine. Left so, anyone who reaches the
    app from this machine (an SSH tunnel, a proxy that passes the client's header on) could pick the
    address the sign-in limit counts, and evade it by changing the header. Empty: nobody is believed.
    """
    from etl.config import get_settings

    os.environ["FORWARDED_ALLOW_IPS"] = ",".join(str(n) for n in get_settings().trusted_networks())


def main(argv: list[str]) -> int:
    from streamlit.web import cli

    owner_only_umask()  # uploads, loads (DuckDB's WAL and spill files) and the audit log: owner-only
    trust_proxies()
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
