#!/usr/bin/env python3
"""Set up and run the project with nothing but Python 3.11+ and pip.

    python3 tasks.py run     install everything, build the demo database if missing (upgrade it if older),
                             open the dashboard
    python3 tasks.py test    install everything (and Debian's chromium and postgresql for the tests), run all tests
    python3 tasks.py lint    ruff over the code, mypy over etl/

Dependencies go into ``.venv`` beside this file; they are reinstalled only when
``pyproject.toml`` changes. Standard library only: this file runs before anything is installed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
CHROMIUM = "/usr/bin/chromium"


def say(msg: str) -> None:
    print(f"[tasks] {msg}", flush=True)


def run(cmd: list[str], **kw: object) -> None:
    result = subprocess.run(cmd, cwd=ROOT, **kw)  # type: ignore[call-overload]
    if result.returncode != 0:
        say(f"failed ({result.returncode}): {' '.join(cmd)}")
        sys.exit(result.returncode)


def venv_python() -> str:
    """The virtualenv's interpreter, creating the venv if needed (falls back to this interpreter)."""
    exe = VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    if not exe.exists():
        say(f"creating virtual environment in {VENV}")
        made = subprocess.run([sys.executable, "-m", "venv", str(VENV)], cwd=ROOT)
        if made.returncode != 0 or not exe.exists():
            say("python -m venv is not available (on Debian/Ubuntu: apt-get install python3-venv); "
                "installing into the current interpreter instead")
            return sys.executable
    return str(exe)


def install(python: str, extras: str) -> None:
    pyproject = (ROOT / "pyproject.toml").read_bytes()
    stamp = VENV / f".installed-{extras or 'base'}-{hashlib.sha256(pyproject).hexdigest()[:16]}"
    if stamp.exists():
        return
    say("installing Python dependencies (first run takes a few minutes)")
    run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--upgrade", "pip"])
    target = f".[{extras}]" if extras else "."
    run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-e", target])
    VENV.mkdir(exist_ok=True)
    stamp.touch()


def ensure_debian_packages() -> None:
    """Debian's chromium for the browser tests (Playwright drives it; it never downloads a browser) and
    PostgreSQL for the warehouse tests (they start their own server: etl/store/pgserver.py)."""
    packages = []
    if not Path(CHROMIUM).exists():
        packages += ["chromium", "fonts-dejavu-core"]
    if not list(Path("/usr/lib/postgresql").glob("*/bin/initdb")) and shutil.which("initdb") is None:
        packages += ["postgresql"]
    if not packages:
        return
    if shutil.which("apt-get") is None:
        say(f"apt-get is not available: install {', '.join(packages)} yourself (chromium at {CHROMIUM})")
        sys.exit(1)
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    say(f"installing Debian's {', '.join(packages)} for the tests")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    run([*sudo, "apt-get", "update", "-qq"], env=env)
    run([*sudo, "apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages], env=env)


SCHEMA_CHECK = """
import sys, duckdb
from pathlib import Path
from etl.store.db import connect_read
from etl.errors import AccessDataError
from etl.store.schema import SCHEMA_VERSION
try:
    con = connect_read(Path(sys.argv[1]))  # with the database key when one is configured
except AccessDataError as err:
    print(f"error:{err}")
    sys.exit(0)
try:
    row = con.execute("SELECT value FROM schema_info WHERE key = 'schema_version'").fetchone()
except duckdb.Error:
    row = None
if row and row[0] == SCHEMA_VERSION:
    # "demo" when every load came from the demo generator: only then may the public demo users be added.
    real = con.execute("SELECT count(*) FROM loads WHERE NOT starts_with(file_name, 'demo_')").fetchone()
    print("ok:demo" if real and real[0] == 0 else "ok:real")
else:
    print(f"old:{row[0] if row else 'none'}")
"""


def cmd_run(args: list[str]) -> None:
    python = venv_python()
    install(python, "")
    db = Path(os.environ.get("ACCESS_DB", ROOT / "data" / "access.duckdb"))
    if db.exists():
        # A database made by an older release is migrated in place (the previous file is kept beside it as
        # <db>.before-upgrade-N); one already current is left alone; a problem (no key, a newer release's
        # file) is said by the command, and nothing starts.
        run([python, "-m", "etl", "upgrade", "--db", str(db)])
    if not db.exists():
        say(f"no database at {db}: building the demo database (about a minute)")
        run([python, "-m", "etl", "demo", "--db", str(db)])
    if "ACCESS_DB" not in os.environ and not (db.parent / "users.json").exists():
        # Only a database of demo data gets the demo users (public passwords); one holding real logs does not.
        check = subprocess.run([python, "-c", SCHEMA_CHECK, str(db)], cwd=ROOT, capture_output=True, text=True)
        if check.stdout.strip() == "ok:demo":
            say("creating the demo users (sign in as demo-coordinator, password demo-coordinator; see README)")
            run([python, "-m", "etl", "users", "demo", "--db", str(db)], stdout=subprocess.DEVNULL)
        else:
            say(f"{db} holds logs other than the demo's: no demo users created. Add people with "
                "`.venv/bin/python -m etl users add NAME --role ROLE --regions REGION`.")
    say("starting the dashboard (Ctrl+C to stop)")
    os.chdir(ROOT)
    # python -m dashboard = streamlit run dashboard/streamlit_app.py, warmed up for the first visit.
    os.execv(python, [python, "-m", "dashboard", *args])


def cmd_test(args: list[str]) -> None:
    python = venv_python()
    install(python, "test")
    ensure_debian_packages()
    os.chdir(ROOT)
    # Two workers, one test module each at a time (its module fixtures stay on one worker): the suite waits on
    # browsers and servers as much as it computes. `python3 tasks.py test -n 0` runs it in one process.
    workers = [] if any(a == "-n" or a.startswith(("-n", "--numprocesses")) for a in args) else ["-n", "2"]
    os.execv(python, [python, "-m", "pytest", *workers, "--dist", "loadfile", *args])


def cmd_lint(args: list[str]) -> None:
    python = venv_python()
    install(python, "test")
    run([python, "-m", "ruff", "check", "etl", "dashboard", "tests", "bench", "scripts", *args])
    run([python, "-m", "mypy"])


COMMANDS = {"run": cmd_run, "test": cmd_test, "lint": cmd_lint}


def main() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - this file must run, and explain, on an old Python
        say(f"Python 3.11 or newer is needed; this is {sys.version.split()[0]}")
        sys.exit(1)
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        print(__doc__)
        sys.exit(2)
    COMMANDS[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
