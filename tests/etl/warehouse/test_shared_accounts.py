"""Warehouse mode: users, failed sign-ins, the audit trail and remembered sign-ins in PostgreSQL, shared by
several OS processes (what two app replicas and the command line do), on a real PostgreSQL.

Each "other process" is a real ``python`` started with the same ACCESS_WAREHOUSE settings; the checks are
made in this process through the public interfaces, or by reading the PostgreSQL tables directly.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import psycopg
import pytest
from pydantic import SecretStr

from dashboard.session.remember import SharedRememberedSessions
from etl.accounts import audit, pgstore
from etl.accounts.shared_users import SharedUserStore, user_store
from etl.accounts.signin import Outcome
from etl.config import Settings
from tests.etl.warehouse.conftest import warehouse_settings

REPO = Path(__file__).resolve().parents[3]
PASSWORD = "long enough passphrase"
CHEAP_ARGON2 = {"argon2_memory_kib": 64, "argon2_time_cost": 1, "argon2_parallelism": 1}
T0 = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def shared(local_postgres, tmp_path_factory) -> Settings:
    base = warehouse_settings(local_postgres, "accounts", tmp_path_factory.mktemp("accounts"))
    settings = base.model_copy(update=CHEAP_ARGON2)
    user_store(settings).add_user("amina", PASSWORD, "coordinator", ["Asia"], now=T0)  # every test's first user
    return settings


def _env(settings: Settings, **extra: str) -> dict[str, str]:
    assert settings.warehouse is not None and settings.warehouse_data is not None
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCESS_")}
    env.update(PYTHONPATH=str(REPO), ACCESS_WAREHOUSE=settings.warehouse.get_secret_value(),
               ACCESS_WAREHOUSE_DATA=str(settings.warehouse_data), ACCESS_DB=str(settings.db),
               ACCESS_ARGON2_MEMORY_KIB="64", ACCESS_ARGON2_TIME_COST="1", ACCESS_ARGON2_PARALLELISM="1", **extra)
    return env


def _python(settings: Settings, code: str, **extra: str) -> subprocess.Popen[str]:
    """Another OS process with the same warehouse settings, running ``code``."""
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], cwd=REPO, env=_env(settings, **extra),
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finish(proc: subprocess.Popen[str], stdin: str = "") -> str:
    out, err = proc.communicate(stdin, timeout=120)
    assert proc.returncode == 0, err
    return out


def _raw(settings: Settings, sql: str) -> list[tuple]:
    assert settings.warehouse is not None
    with psycopg.connect(settings.warehouse.get_secret_value(), autocommit=True) as con:
        cur = con.execute(sql)
        return cur.fetchall() if cur.description is not None else []


def test_users_command_writes_postgres_and_the_app_store_reads_it(shared):
    out = _finish(subprocess.Popen(
        [sys.executable, "-m", "etl", "users", "add", "layla", "--role", "coordinator", "--regions", "Asia",
         "--password-stdin"], cwd=REPO, env=_env(shared), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True), PASSWORD + "\n")
    assert "layla" in out
    store = user_store(shared)
    assert isinstance(store, SharedUserStore)
    layla = store.get("layla")
    assert layla is not None and (layla.role, layla.regions) == ("coordinator", ("Asia",))
    assert store.verify("layla", PASSWORD, T0).ok
    # Nothing beside ACCESS_DB: the users live in PostgreSQL only.
    assert not (shared.db.parent / "users.json").exists()
    rows = _raw(shared, "SELECT username, record->>'role' FROM access_accounts.users WHERE username = 'layla'")
    assert rows == [("layla", "coordinator")]
    # The command was audited into the PostgreSQL trail, which `python -m etl audit` reads.
    assert "users_change" in set(audit.read(shared)["action"])
    trail = _finish(subprocess.Popen([sys.executable, "-m", "etl", "audit", "--action", "users_change"], cwd=REPO,
                                     env=_env(shared), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    assert "layla" in trail and "From the table audit of PostgreSQL access_accounts" in trail
    # A users file named on the command line is refused, saying where the users are.
    wrong = subprocess.run([sys.executable, "-m", "etl", "users", "list", "--users", str(shared.db.parent / "u.json")],
                           cwd=REPO, env=_env(shared), capture_output=True, text=True, timeout=120)
    assert wrong.returncode == 1 and "with ACCESS_WAREHOUSE set the users are in" in wrong.stderr
    assert shared.warehouse is not None
    secret = shared.warehouse.get_secret_value().split(":")[2].split("@")[0]  # the catalog's password
    assert "Traceback" not in wrong.stderr and secret not in wrong.stderr


def test_a_lockout_and_the_limits_earned_in_one_process_hold_in_another(shared):
    store = user_store(shared)
    if store.get("karim") is None:
        store.add_user("karim", PASSWORD, "negotiator", ["Asia"], now=T0)
    limit = shared.signin_max_failures
    t0 = dt.datetime.now(dt.UTC).replace(microsecond=0)  # PostgreSQL forgets failures a day old, by its clock
    # The other process: `limit` wrong passwords a minute apart (never "too soon"), one wrong guess at an
    # unknown name, and enough failures from one address to reach the address limit.
    _finish(_python(shared, f"""
        import datetime as dt
        from etl.accounts.shared_users import user_store
        from etl.config import get_settings
        s = get_settings(); store = user_store(s)
        t0 = dt.datetime.fromisoformat({t0.isoformat()!r})
        for k in range({limit}):
            print(store.verify("karim", "wrong", t0 + dt.timedelta(minutes=k)).outcome)
        print(store.verify("ghost", "wrong", t0 + dt.timedelta(minutes={limit})).outcome)
        for k in range(s.signin_address_max_failures):
            store.verify(f"nobody{{k}}", "wrong", t0 + dt.timedelta(minutes={limit}), address="203.0.113.9")
    """))
    after = t0 + dt.timedelta(minutes=limit, milliseconds=500)  # within the 1 s wait after the failure there
    # Here: the right password does not open the account locked over there ...
    assert store.verify("karim", PASSWORD, after).outcome is Outcome.LOCKED
    # ... the unknown name is slowed here as there (in file mode this process would not know it) ...
    assert store.verify("ghost", "wrong", after).outcome is Outcome.TOO_SOON
    # ... and the address that failed too often there is refused here.
    assert store.verify("amina", PASSWORD, after, address="203.0.113.9").outcome is Outcome.ADDRESS_LIMITED
    # An admin unlocks it from the command line (a third process): it opens here.
    _finish(subprocess.Popen([sys.executable, "-m", "etl", "users", "unlock", "karim"], cwd=REPO, env=_env(shared),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    assert store.verify("karim", PASSWORD, after).ok


def test_the_audit_table_refuses_every_change_and_removal(shared):
    audit.record("sign_in", who="amina", role="coordinator", settings=shared)
    before = _raw(shared, "SELECT id, line FROM access_accounts.audit ORDER BY id")
    assert before
    for sql in ("UPDATE access_accounts.audit SET line = '{}'",
                "DELETE FROM access_accounts.audit",
                "TRUNCATE access_accounts.audit"):
        with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
            _raw(shared, sql)
    assert _raw(shared, "SELECT id, line FROM access_accounts.audit ORDER BY id") == before


def test_two_processes_appending_at_once_lose_no_event_and_sealing_works_as_in_the_file(local_postgres, tmp_path):
    shared = warehouse_settings(local_postgres, "sealed_audit", tmp_path)  # its own trail: sealed from the start
    n = 40
    go = tmp_path / "go"
    code = f"""
        import os, sys, time
        from etl.accounts import audit
        who = sys.argv[1] if len(sys.argv) > 1 else os.environ["WHO"]
        while not os.path.exists({str(go)!r}):
            time.sleep(0.005)
        for k in range({n}):
            audit.record("profile_view", who=who, role="hq", target=f"CP-{{k:04d}}")
    """
    key = "a-database-key-for-the-audit-test-0123456789"
    procs = [_python(shared, code, WHO=f"writer{i}", ACCESS_DB_KEY=key) for i in (1, 2)]
    go.touch()  # both start appending at the same moment
    for proc in procs:
        _finish(proc)
    sealed_settings = shared.model_copy(update={"db_key": SecretStr(key)})
    events = audit.read(sealed_settings, action="profile_view")
    got = sorted(zip(events["who"], events["target"], strict=True))
    assert got == sorted((f"writer{i}", f"CP-{k:04d}") for i in (1, 2) for k in range(n))
    # Sealed as the file is: no counterpart id in clear in PostgreSQL, and unreadable without the key.
    lines = [r[0] for r in _raw(shared, "SELECT line FROM access_accounts.audit")]
    assert not any("CP-00" in line or "writer" in line for line in lines)
    with pytest.raises(audit.AuditError, match="encrypted"):
        audit.read(shared)


def test_a_sign_in_remembered_by_one_process_is_honoured_and_ended_by_another(shared):
    out = _finish(_python(shared, """
        import json
        from dashboard.session.remember import REMEMBERED
        from etl.accounts.shared_users import user_store
        store = user_store()
        user = store.get("amina")
        done = REMEMBERED.remember(store.start_session(user))
        print(json.dumps({"key": done.key, "code": done.code}))
    """))
    made = json.loads(out.strip().splitlines()[-1])
    here = SharedRememberedSessions(shared)
    assert here.redeem("made-up-code") is None and here.session_for("made-up-token") is None  # an attacker's guesses
    token = here.redeem(made["code"])  # the code may be posted to any replica ...
    assert token is not None and here.redeem(made["code"]) is None  # ... once
    found = here.session_for(token)
    assert found is not None and found[0] == made["key"] and found[1].username == "amina"
    # Neither the token nor the code is stored in clear.
    stored = json.dumps(_raw(shared, "SELECT * FROM access_accounts.remembered"), default=str)
    stored += json.dumps(_raw(shared, "SELECT * FROM access_accounts.remember_codes"), default=str)
    assert token not in stored and made["code"] not in stored
    # Signed out in another process: the cookie opens nothing here any more.
    _finish(_python(shared, f"""
        from dashboard.session.remember import REMEMBERED
        REMEMBERED.forget({made["key"]!r})
    """))
    assert here.session_for(token) is None and not here.is_live(made["key"])


def test_a_missing_database_is_a_clear_error_without_the_password(shared):
    assert shared.warehouse is not None
    url = shared.warehouse.get_secret_value().rsplit("/", 1)[0] + "/no_such_database"
    wrong = shared.model_copy(update={"warehouse": SecretStr(url)})
    with pytest.raises(pgstore.SharedStoreError) as err:
        user_store(wrong).list_users()
    password = url.split(":")[2].split("@")[0]
    assert "no_such_database" in str(err.value) and password not in str(err.value)
    with pytest.raises(audit.AuditError, match="Cannot use the audit trail"):
        audit.record("sign_in", who="x", settings=wrong)


def test_two_processes_changing_users_at_once_lose_no_change(shared, tmp_path):
    go = tmp_path / "go-users"
    code = f"""
        import os, time
        from etl.accounts.shared_users import user_store
        store = user_store()
        while not os.path.exists({str(go)!r}):
            time.sleep(0.005)
        for k in range(6):
            store.add_user(f"{{os.environ['WHO']}}-{{k}}", {PASSWORD!r}, "hq")
            store.set_disabled("amina", k % 2 == 0)  # both processes also change the same record, in turns
    """
    procs = [_python(shared, code, WHO=f"office{i}") for i in (1, 2)]
    go.touch()
    for proc in procs:
        _finish(proc)
    names = {u.username for u in user_store(shared).list_users()}
    assert {f"office{i}-{k}" for i in (1, 2) for k in range(6)} <= names
    assert len(_raw(shared, "SELECT username FROM access_accounts.users")) == len(names)
