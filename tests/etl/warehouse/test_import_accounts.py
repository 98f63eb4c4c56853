"""``python -m etl warehouse import-accounts``: a laptop's users file and audit file moved into PostgreSQL.

The laptop's files are made by the real commands in file mode (``python -m etl users add|disable``, run
through the command line's ``main``); the import runs the same way with ACCESS_WAREHOUSE set. What is in
PostgreSQL is checked by reading its tables directly with psycopg, against the files' own lines and records.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import os
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from etl.accounts import audit
from etl.accounts.shared_users import user_store
from etl.accounts.signin import Outcome
from etl.cli.main import main
from etl.config import Settings, get_settings
from etl.store import sealed
from tests.etl.warehouse.conftest import warehouse_settings

PASSWORD = "long enough passphrase"
CHEAP_ARGON2 = {"ACCESS_ARGON2_MEMORY_KIB": "64", "ACCESS_ARGON2_TIME_COST": "1", "ACCESS_ARGON2_PARALLELISM": "1"}
KEY = "the laptop's database key, long enough"
TARGETS = ["amina", "bo", "cy", "cy", "bo"]


@contextlib.contextmanager
def _environment(**values: str) -> Iterator[None]:
    """The process settings from exactly these ACCESS_ variables (plus cheap argon2), as a command sees them."""
    with pytest.MonkeyPatch.context() as mp:
        for name in [n for n in os.environ if n.startswith("ACCESS_")]:
            mp.delenv(name)
        for name, value in {**CHEAP_ARGON2, **values}.items():
            mp.setenv(name, value)
        get_settings.cache_clear()
        try:
            yield
        finally:
            get_settings.cache_clear()


def _run(argv: list[str], stdin: str = "", **env: str) -> tuple[int, str, str]:
    """``python -m etl ARGV`` in this process: exit code, standard output, standard error."""
    out, err = io.StringIO(), io.StringIO()
    with _environment(**env), pytest.MonkeyPatch.context() as mp:
        mp.setattr("sys.stdin", io.StringIO(stdin))
        mp.setattr("sys.stdout", out)
        mp.setattr("sys.stderr", err)
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def _laptop(folder: Path, **env: str) -> dict[str, str]:
    """A laptop's files made by the real user commands: three users (one disabled, one with single sign-on); the
    environment used. Its audit file holds one event per command, their targets :data:`TARGETS`."""
    laptop = {"ACCESS_DB": str(folder / "access.duckdb"), **env}
    for name, role, regions in (("amina", "coordinator", "Asia"), ("bo", "hq", None), ("cy", "negotiator", "Asia")):
        argv = ["users", "add", name, "--role", role, "--password-stdin"] + (["--regions", regions] if regions else [])
        assert _run(argv, PASSWORD + "\n", **laptop)[0] == 0
    assert _run(["users", "disable", "cy"], **laptop)[0] == 0
    assert _run(["users", "set-sso-email", "bo", "bo@example.org"], **laptop)[0] == 0
    return laptop


@pytest.fixture(scope="module")
def laptop(tmp_path_factory) -> Path:
    """The laptop's folder: users.json and access.audit.jsonl (plain, no database key)."""
    folder = tmp_path_factory.mktemp("laptop")
    _laptop(folder)
    return folder


def _warehouse(pg, name: str, folder: Path) -> tuple[Settings, dict[str, str]]:
    """A new empty warehouse database: its settings and the environment that points a command at it."""
    settings = warehouse_settings(pg, name, folder)
    assert settings.warehouse is not None
    env = {"ACCESS_WAREHOUSE": settings.warehouse.get_secret_value(), "ACCESS_WAREHOUSE_DATA": str(folder / "lake"),
           "ACCESS_DB": str(folder / "unused.duckdb")}
    return settings, env


def _raw(settings: Settings, sql: str) -> list[tuple]:
    assert settings.warehouse is not None
    with psycopg.connect(settings.warehouse.get_secret_value(), autocommit=True) as con:
        return con.execute(sql).fetchall()


def _moved_lines(settings: Settings, key: str | None = None) -> list[str]:
    """The audit lines in PostgreSQL, oldest first, without the import's own events (read with psycopg; the
    events sealed with ``key`` opened to tell)."""
    def text(line: str) -> str:
        if key is None or not line.startswith("access-sealed-v1:"):
            return line
        return sealed.unseal(line.encode(), sealed.derive_key(key, sealed.AUDIT), sealed.AUDIT).decode()

    rows = _raw(settings, "SELECT line FROM access_accounts.audit ORDER BY id")
    return [r[0] for r in rows if '"action":"accounts_import"' not in text(r[0])]


def _file_lines(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="ascii").splitlines() if line.strip()]


def test_users_move_unchanged_and_sign_in_with_the_old_password(local_postgres, laptop, tmp_path):
    settings, env = _warehouse(local_postgres, "import_users", tmp_path)
    users_file = laptop / "users.json"
    code, out, err = _run(["warehouse", "import-accounts", "--users", str(users_file)], **env)
    assert code == 0, err
    assert "3 added, 0 already there" in out
    in_file = {r["username"]: r for r in json.loads(users_file.read_text())["users"]}
    in_pg = {name: record for name, record in _raw(settings, "SELECT username, record FROM access_accounts.users")}
    assert in_pg == in_file  # every field as the laptop had it: hash, role, regions, disabled, dates

    with _environment(**env):  # the sign-in the app runs (dashboard/session/auth.py: store().verify)
        store = user_store(get_settings())
        now = dt.datetime.now(dt.UTC)
        assert store.verify("amina", PASSWORD, now).outcome is Outcome.SIGNED_IN
        assert store.verify("bo", "not the password", now).outcome is Outcome.WRONG_PASSWORD
        assert store.verify("cy", PASSWORD, now).outcome is Outcome.DISABLED

    code, out, err = _run(["warehouse", "import-accounts", "--users", str(users_file)], **env)
    assert code == 0, err  # signed in since: the bookkeeping changed, the user is still the same
    assert "0 added, 3 already there" in out
    assert _raw(settings, "SELECT count(*) FROM access_accounts.users") == [(3,)]
    events = [json.loads(r[0]) for r in _raw(settings, "SELECT line FROM access_accounts.audit ORDER BY id")]
    imports = [e["detail"]["users"] for e in events if e["action"] == "accounts_import"]
    assert [(i["added"], i["already_there"]) for i in imports] == [(3, 0), (0, 3)]


def test_a_user_already_there_with_another_record_is_listed_and_left_alone(local_postgres, laptop, tmp_path):
    settings, env = _warehouse(local_postgres, "import_conflict", tmp_path)
    code, _, err = _run(["users", "add", "amina", "--role", "hq", "--password-stdin"], "another passphrase 1\n", **env)
    assert code == 0, err
    # ...and holds the single sign-on identity of the laptop's bo: importing bo would give it two users.
    assert _run(["users", "set-sso-email", "amina", "bo@example.org"], **env)[0] == 0
    before = _raw(settings, "SELECT record FROM access_accounts.users WHERE username = 'amina'")
    code, out, err = _run(["warehouse", "import-accounts", "--users", str(laptop / "users.json")], **env)
    assert code == 1
    assert "1 added" in out and "left as they are: amina, bo." in err
    assert _raw(settings, "SELECT record FROM access_accounts.users WHERE username = 'amina'") == before
    assert before[0][0]["role"] == "hq"
    assert sorted(r[0] for r in _raw(settings, "SELECT username FROM access_accounts.users")) == ["amina", "cy"]


def test_audit_events_move_in_order_once_after_an_interrupted_import(local_postgres, laptop, tmp_path):
    settings, env = _warehouse(local_postgres, "import_audit", tmp_path)
    # The laptop's trail, and a refused sign-in with a name far too long (capped by the writer, kept as it is).
    long_name = audit.event_line("sign_in_failed", who="x" * 500).decode("ascii").rstrip("\n")
    lines = [*_file_lines(laptop / "access.audit.jsonl"), long_name]
    assert len(lines) == len(TARGETS) + 1
    trail = tmp_path / "access.audit.jsonl"
    trail.write_text("\n".join(lines) + "\n", encoding="ascii")
    cut = tmp_path / "cut.audit.jsonl"  # what an import stopped after two events had written
    cut.write_text("\n".join(lines[:2]) + "\n", encoding="ascii")
    assert _run(["warehouse", "import-accounts", "--audit", str(cut)], **env)[0] == 0
    assert _moved_lines(settings) == lines[:2]
    for _ in range(2):
        code, out, err = _run(["warehouse", "import-accounts", "--audit", str(trail)], **env)
        assert code == 0, err
        assert _moved_lines(settings) == lines  # the rest, in order; the second time nothing
    assert f"0 added, {len(lines)} already there" in out
    imports = [json.loads(r[0]) for r in _raw(settings, "SELECT line FROM access_accounts.audit ORDER BY id")
               if '"action":"accounts_import"' in r[0]]  # each import on record: who, when, how many
    assert [(e["detail"]["audit_events"]["added"], e["detail"]["audit_events"]["already_there"]) for e in imports] \
        == [(2, 0), (len(lines) - 2, 2), (0, len(lines))]
    assert all(e["who"] and e["ts"] for e in imports)
    with _environment(**env):  # `python -m etl audit` reads the moved trail, nothing damaged
        assert audit.damaged_lines() == 0
        assert (audit.read(action="users_change")["target"].tolist()[::-1]) == TARGETS


def test_a_sealed_trail_moves_sealed_with_the_same_key_and_is_refused_without_it(local_postgres, laptop, tmp_path):
    plain = _file_lines(laptop / "access.audit.jsonl")
    keyed = _laptop(tmp_path / "laptop", ACCESS_DB_KEY=KEY)
    trail = tmp_path / "laptop" / "access.audit.jsonl"
    lines = _file_lines(trail)
    assert lines and all(line.startswith("access-sealed-v1:") for line in lines)
    refused, env = _warehouse(local_postgres, "import_sealed_refused", tmp_path / "refused")
    for other in ({}, {"ACCESS_DB_KEY": "another key, also long enough"}):
        code, _, err = _run(["warehouse", "import-accounts", "--audit", str(trail)], **env, **other)
        assert code == 1 and "ACCESS_DB_KEY" in err and "laptop" in err and "Traceback" not in err
    assert set(_moved_lines(refused)) & set(lines) == set()
    settings, env = _warehouse(local_postgres, "import_sealed", tmp_path / "server")
    code, _, err = _run(["warehouse", "import-accounts", "--audit", str(trail)], **env, ACCESS_DB_KEY=KEY)
    assert code == 0, err
    assert _moved_lines(settings, KEY) == lines  # the same sealed lines, byte for byte
    with _environment(**env, ACCESS_DB_KEY=KEY):
        assert audit.read(action="users_change")["target"].tolist()[::-1] == TARGETS
    assert keyed["ACCESS_DB_KEY"] == KEY
    for _ in range(2):  # a plain trail into a warehouse with a key: sealed on the way in, still once
        assert _run(["warehouse", "import-accounts", "--audit", str(laptop / "access.audit.jsonl")], **env,
                    ACCESS_DB_KEY=KEY)[0] == 0
    moved = _moved_lines(settings, KEY)[len(lines):]
    assert len(moved) == len(plain) and not set(moved) & set(plain)
    opened = [sealed.unseal(m.encode(), sealed.derive_key(KEY, sealed.AUDIT), sealed.AUDIT).decode() for m in moved]
    assert opened == plain


def test_crafted_lines_and_records_are_refused_with_their_line(local_postgres, laptop, tmp_path):
    settings, env = _warehouse(local_postgres, "import_attack", tmp_path)
    code, _, err = _run(["warehouse", "import-accounts", "--users", str(laptop / "users.json")],
                        ACCESS_DB=str(tmp_path / "file-mode.duckdb"))
    assert code == 1 and "ACCESS_WAREHOUSE is not set" in err  # nothing to move into without a warehouse
    lines = _file_lines(laptop / "access.audit.jsonl")
    # One line that reads as cy's change to one JSON reader and as the admin's to another.
    forged = lines[3].replace('"role":null', '"who":"demo-admin"')
    crafted = tmp_path / "crafted.audit.jsonl"
    crafted.write_text("\n".join([*lines, forged]) + "\n", encoding="ascii")
    code, _, err = _run(["warehouse", "import-accounts", "--audit", str(crafted)], **env)
    assert code == 1 and f"line {len(lines) + 1}:" in err and "'who' is given twice" in err and "Traceback" not in err
    assert _raw(settings, "SELECT count(*) FROM access_accounts.audit WHERE line NOT LIKE '%accounts_import%'") \
        == [(0,)]  # nothing of that file, not even its good lines

    text = (laptop / "users.json").read_text()
    for bad, expected in (('"role": "hq"', "has role 'superadmin'"), ('"regions": [\n        "Asia"\n      ],\n'
                                                                       '      "password_hash"', "'Atlantis'")):
        changed = text.replace(bad, bad.replace('"hq"', '"superadmin"').replace('"Asia"', '"Atlantis"'), 1)
        assert changed != text
        users = tmp_path / "users.json"
        users.write_text(changed)
        start = changed[:changed.index('"username": "bo"' if "superadmin" in expected else '"username": "amina"')]
        record_line = start.count("\n")  # the "{" of that user's record, one line above its username
        code, _, err = _run(["warehouse", "import-accounts", "--users", str(users)], **env)
        assert code == 1 and f"line {record_line}:" in err and expected in err and "Traceback" not in err
    at = text.rindex('"sso_email": null')  # cy's: made to sign in as bo's identity too
    users.write_text(text[:at] + '"sso_email": "bo@example.org"' + text[at + len('"sso_email": null'):])
    code, _, err = _run(["warehouse", "import-accounts", "--users", str(users)], **env)
    cy_line = text[:text.index('"username": "cy"')].count("\n")
    assert code == 1 and f"line {cy_line}: user 'cy' signs in with single sign-on as bo@example.org" in err
    (tmp_path / "users.json").write_text(text.replace('"demo": false,', '"demo": false', 1))
    code, _, err = _run(["warehouse", "import-accounts", "--users", str(tmp_path / "users.json")], **env)
    assert code == 1 and "not valid JSON" in err and "line " in err
    assert _raw(settings, "SELECT count(*) FROM access_accounts.users") == [(0,)]
