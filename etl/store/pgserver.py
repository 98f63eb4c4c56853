"""A throwaway local PostgreSQL: its own data folder, a free loopback port, stopped cleanly.

For trying the warehouse mode (``python -m etl warehouse try-postgres``) and for the tests; never
for production (a production warehouse uses a PostgreSQL its administrators run and back up).
Nothing is assumed to be running: Debian's ``postgresql`` package provides the programs
(``python3 tasks.py test`` installs it), and :class:`LocalPostgres` runs ``initdb`` in a folder of
its own, then ``postgres`` on ``127.0.0.1`` with its unix socket in that folder too.

* The data folder is owner-only (initdb makes it 0700) and the one database user, ``access``, has a
  random password (SCRAM), written in ``<dir>/password`` (0600) and in the URL that :attr:`url` gives:
  other accounts on the machine cannot connect even over loopback.
* PostgreSQL refuses to run as root. When this process is root, the server runs as the ``postgres``
  account that Debian's package creates (``nobody`` when there is none), through ``setpriv``
  (util-linux, on every Debian): the folder is handed to that account, and the server's files stay
  readable by it only.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from etl.errors import ConfigError, DatabaseError

USER = "access"  # the database user (and database) the warehouse uses
INSTALL_HINT = ("Install PostgreSQL: `python3 tasks.py test` installs Debian's package, or run "
                "`apt-get install postgresql` yourself.")
SERVER_ACCOUNTS = ("postgres", "nobody")  # who runs the server when this process is root, in order of preference


def postgres_bin() -> Path:
    """The folder of PostgreSQL's programs (``initdb``, ``pg_ctl``): Debian's newest, or ``pg_config``'s."""
    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3])
                    if p.parts[-3].isdigit() else 0)
    if debian:
        return debian[-1].parent
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False).stdout.strip()
        if out and (Path(out) / "initdb").is_file():
            return Path(out)
    if shutil.which("initdb"):
        return Path(shutil.which("initdb") or "").parent
    raise ConfigError("PostgreSQL is not installed (no initdb in /usr/lib/postgresql/*/bin or on the PATH).",
                      INSTALL_HINT)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _server_account() -> pwd.struct_passwd | None:
    """The account the server runs as: None (this process's own) unless this process is root."""
    if os.geteuid() != 0:
        return None
    for name in SERVER_ACCOUNTS:
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise ConfigError("PostgreSQL cannot run as root and there is no `postgres` or `nobody` account.",
                      "Run this as an ordinary user, or install Debian's postgresql package (it creates `postgres`).")


@dataclass
class LocalPostgres:
    """One throwaway server in ``folder`` (created when missing) on ``port`` (default: a free one).

    >>> with LocalPostgres(Path("/tmp/pg")).running() as pg:  # doctest: +SKIP
    ...     print(pg.url)
    """

    folder: Path
    port: int = 0

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def socket_dir(self) -> Path:
        return self.folder / "socket"

    @property
    def log(self) -> Path:
        return self.folder / "postgres.log"

    @property
    def password(self) -> str:
        return (self.folder / "password").read_text(encoding="utf-8").strip()

    @property
    def url(self) -> str:
        """``postgresql://access:<password>@127.0.0.1:<port>/access``: what ``ACCESS_WAREHOUSE`` takes."""
        return f"postgresql://{USER}:{self.password}@127.0.0.1:{self.port}/{USER}"

    def _run(self, args: list[str], account: pwd.struct_passwd | None) -> subprocess.CompletedProcess[str]:
        prefix = ([] if account is None else
                  ["setpriv", f"--reuid={account.pw_uid}", f"--regid={account.pw_gid}", "--clear-groups"])
        env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": str(self.folder), "PGTZ": "UTC"}
        if (self.folder / "password").is_file():
            env["PGPASSWORD"] = self.password  # psql and createdb: never a prompt
        return subprocess.run([*prefix, *args], capture_output=True, text=True, env=env, check=False, timeout=120,
                              stdin=subprocess.DEVNULL)

    def init(self) -> None:
        """``initdb`` in ``<folder>/data`` with the ``access`` user and a random password (once)."""
        bindir = postgres_bin()
        account = _server_account()
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self.folder, 0o700)
        self.socket_dir.mkdir(exist_ok=True, mode=0o700)
        if account is not None:
            _check_reachable(self.folder, account)
        if (self.data / "PG_VERSION").is_file():
            return
        pwfile = self.folder / "password"
        fd = os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(secrets.token_urlsafe(24) + "\n")
        if account is not None:
            for path in (self.folder, self.socket_dir, pwfile):
                os.chown(path, account.pw_uid, account.pw_gid)
        done = self._run([str(bindir / "initdb"), "-D", str(self.data), "-U", USER, f"--pwfile={pwfile}",
                          "--auth=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8"], account)
        if done.returncode != 0:
            raise DatabaseError(f"initdb failed in {self.data}: {_last_line(done.stderr or done.stdout)}",
                                f"Remove {self.folder} and try again; {INSTALL_HINT}")

    def start(self) -> None:
        """Start the server (initialised first if needed) and create the ``access`` database; wait until it answers."""
        self.init()
        self.port = self.port or free_port()
        account = _server_account()
        bindir = postgres_bin()
        options = f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1 -c fsync=on"
        done = self._run([str(bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60",
                          "-o", options, "start"], account)
        if done.returncode != 0:
            raise DatabaseError(f"PostgreSQL did not start on port {self.port}: {_last_line(self._log_tail())}",
                                f"See {self.log}; choose another --port if that one is taken.")
        created = self._run([str(bindir / "psql"), "-h", str(self.socket_dir), "-p", str(self.port), "-U", USER,
                             "-d", "postgres", "-tAc", "SELECT 1 FROM pg_database WHERE datname = 'access'"],
                            account)
        if created.stdout.strip() != "1":
            made = self._run([str(bindir / "createdb"), "-h", str(self.socket_dir), "-p", str(self.port),
                              "-U", USER, USER], account)
            if made.returncode != 0:
                raise DatabaseError(f"Cannot create the database {USER}: {_last_line(made.stderr)}", f"See {self.log}.")

    def new_database(self, name: str) -> str:
        """Create an empty database ``name`` (letters, digits, _) owned by ``access``; its URL."""
        if not name.replace("_", "").isalnum():
            raise ValueError(f"{name!r}: a database name here is letters, digits and _ only")
        made = self._run([str(postgres_bin() / "createdb"), "-h", str(self.socket_dir), "-p", str(self.port),
                          "-U", USER, name], _server_account())
        if made.returncode != 0:
            raise DatabaseError(f"Cannot create the database {name}: {_last_line(made.stderr)}", f"See {self.log}.")
        return self.url.rsplit("/", 1)[0] + "/" + name

    def stop(self) -> None:
        """Stop the server (fast shutdown: open connections are closed, nothing is lost)."""
        if not (self.data / "postmaster.pid").exists():
            return
        self._run([str(postgres_bin() / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"],
                  _server_account())

    @contextlib.contextmanager
    def running(self) -> Iterator[LocalPostgres]:
        """The server started for the block, stopped at its end whatever happens."""
        self.start()
        try:
            yield self
        finally:
            self.stop()

    def _log_tail(self) -> str:
        try:
            return self.log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""


def _check_reachable(folder: Path, account: pwd.struct_passwd) -> None:
    """Refuse a folder the server's account cannot reach (a parent folder closed to other accounts)."""
    for parent in folder.resolve().parents:
        st = parent.stat()
        if not st.st_mode & 0o001 and st.st_uid != account.pw_uid:
            raise ConfigError(f"PostgreSQL runs as `{account.pw_name}` (it refuses root), and {parent} is closed "
                              "to other accounts, so it cannot reach " + str(folder) + ".",
                              f"Choose a folder whose parent folders every account may enter (for example "
                              f"/tmp/{folder.name}), or run this as an ordinary user.")


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else "no message"
