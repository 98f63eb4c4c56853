"""The users file, sign-in rules, sessions, roles and ``python -m etl users``.

argon2 runs for real everywhere, with its cost lowered through the settings (not by patching the
module) so the suite stays fast. Time is passed explicitly as ``now``: nothing sleeps.
"""

from __future__ import annotations

import datetime as dt
import doctest
import importlib
import io
import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from etl.accounts import roles
from etl.accounts.records import UserError
from etl.accounts.rules import DEMO_USERS
from etl.accounts.signin import Outcome
from etl.accounts.users import UserStore, users_path
from etl.cli.main import main
from etl.config import Settings, get_settings
from etl.errors import InputFileError
from tests.conftest import REPO

FAST = {"argon2_time_cost": 1, "argon2_memory_kib": 256, "argon2_parallelism": 1}
T0 = dt.datetime(2026, 3, 2, 8, 30, tzinfo=dt.UTC)
PASSWORD = "four unrelated words here"


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(db=tmp_path / "private" / "access.duckdb", **FAST)  # type: ignore[arg-type]


@pytest.fixture
def store(settings: Settings) -> UserStore:
    return UserStore(users_path(settings), settings)


@pytest.fixture
def amina(store: UserStore):
    return store.add_user("Amina", PASSWORD, "coordinator", "middle east and north africa", "Amina H.", now=T0)


# ------------------------------------------------------------------------------------------ the file


def test_users_file_is_owner_only_beside_the_database_and_holds_argon2id_hashes(store, settings, amina, tmp_path):
    assert store.path == tmp_path / "private" / "users.json"
    assert mode(store.path) == 0o600
    assert mode(store.path.parent) == 0o700  # the folder did not exist: created owner-only
    text = store.path.read_text(encoding="utf-8")
    assert PASSWORD not in text
    record = json.loads(text)["users"][0]
    assert record["username"] == "amina" and record["regions"] == ["Middle East and North Africa"]
    assert record["password_hash"].startswith("$argon2id$v=19$m=256,t=1,p=1$")
    assert PasswordHasher().verify(record["password_hash"], PASSWORD)  # argon2-cffi itself accepts it
    assert "password_hash" not in repr(amina)
    # every later write keeps the mode (a fresh temp file is renamed over the old one)
    store.set_role("amina", "negotiator", now=T0)
    assert mode(store.path) == 0o600


def test_a_file_others_can_read_is_refused_until_chmod(store, amina):
    os.chmod(store.path, 0o644)
    with pytest.raises(InputFileError) as err:
        store.verify("amina", PASSWORD, T0)
    assert str(err.value) == (f"users.json: can be read or written by other accounts on this machine (mode 644). "
                              f"It holds password hashes: run `chmod 600 {store.path}`.")
    os.chmod(store.path, 0o600)
    assert store.verify("amina", PASSWORD, T0).ok


@pytest.mark.parametrize(("content", "message"), [
    ("{not json", "users.json: is not valid JSON (line 1, column 2: Expecting property name enclosed in double "
                  "quotes). Restore it from a backup; it is written by `python -m etl users`."),
    ('{"format": 1}', "users.json: is not a users file (no 'users' list). Point ACCESS_USERS_FILE at the right "
                      "file, or move this one away."),
    ('{"format": 1, "users": [{"username": "x"}]}', "users.json: user 1 ('x') has no 'role'. Restore the file "
     "from a backup, or remove that user and add them again with `python -m etl users`."),
])
def test_a_damaged_file_is_named_with_what_is_wrong(store, content, message):
    store.path.parent.mkdir(mode=0o700)
    store.path.write_text(content)
    os.chmod(store.path, 0o600)
    with pytest.raises(InputFileError) as err:
        store.list_users()
    assert str(err.value) == message


def test_a_refused_change_leaves_the_file_byte_for_byte(store, amina):
    before = store.path.read_bytes()
    for change in (lambda: store.add_user("amina", PASSWORD, "hq"),
                   lambda: store.grant_regions("amina", "Atlantis"),
                   lambda: store.set_role("amina", "admin", regions="*"),
                   lambda: store.set_password("amina", "short")):
        with pytest.raises(UserError):
            change()
    assert store.path.read_bytes() == before


CRASH = """
import os, signal, sys
from etl.config import Settings
from etl.accounts.users import UserStore
store = UserStore(sys.argv[1], Settings(argon2_time_cost=1, argon2_memory_kib=256, argon2_parallelism=1))
def crash(*args):  # the power goes out after the new file is written, before it replaces the old one
    os.kill(os.getpid(), signal.SIGKILL)
os.replace = crash
store.add_user("bashir", "another long passphrase", "hq")
"""


def test_the_users_file_survives_a_crash_mid_write(store, amina):
    before = store.path.read_bytes()
    proc = subprocess.run([sys.executable, "-c", CRASH, str(store.path)], cwd=REPO, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == -9, proc.stderr  # really killed
    leftovers = [p.name for p in store.path.parent.iterdir() if p.name.endswith(".tmp")]
    assert len(leftovers) == 1  # the half-published copy, complete but never renamed
    assert store.path.read_bytes() == before
    assert [u.username for u in store.list_users()] == ["amina"]
    assert store.verify("amina", PASSWORD, T0).ok
    store.add_user("bashir", "another long passphrase", "hq", now=T0)  # the next write just works
    assert [u.username for u in store.list_users()] == ["amina", "bashir"]


# ----------------------------------------------------------------------------------------- sign-in


def test_sign_in_wrong_password_growing_waits_then_lock_then_unlock(store, settings, amina):
    ok = store.verify(" AMINA ", PASSWORD, T0)
    assert ok.outcome is Outcome.SIGNED_IN and ok.user is not None and ok.user.last_signed_in_at == T0
    waits, now = [], T0
    for n in range(1, 5):
        now = T0 + dt.timedelta(minutes=n)
        r = store.verify("amina", "not it", now)
        assert r.outcome is Outcome.WRONG_PASSWORD and r.failures_left == 5 - n and r.retry_after is not None
        waits.append((r.retry_after - now).total_seconds())
        assert store.get("amina").failed_attempts == n  # recorded in the file
    assert waits == [1, 2, 4, 8]
    fifth = T0 + dt.timedelta(minutes=5)
    r = store.verify("amina", "not it", fifth)
    assert r.outcome is Outcome.LOCKED and r.locked_until == fifth + dt.timedelta(minutes=15)
    assert r.message() == REFUSED  # the lock is not announced: that would confirm the username exists
    assert store.get("amina").status(fifth) == "locked until 2026-03-02 08:50 UTC"
    # the right password does not open a locked account, and trying does not extend the lock
    during = fifth + dt.timedelta(minutes=14, seconds=59)
    assert store.verify("amina", PASSWORD, during).outcome is Outcome.LOCKED
    assert store.get("amina").locked_until == fifth + dt.timedelta(minutes=15)
    assert store.verify("amina", PASSWORD, fifth + dt.timedelta(minutes=15)).ok  # the lock ran out
    assert store.get("amina").failed_attempts == 0 and store.get("amina").locked_until is None
    # lock again, and an admin lifts it early
    for n in range(5):
        r = store.verify("amina", "not it", during + dt.timedelta(hours=1, minutes=n))
    assert r.outcome is Outcome.LOCKED
    store.unlock("amina")
    assert store.verify("amina", PASSWORD, during + dt.timedelta(hours=1, minutes=4)).ok


def test_lockout_thresholds_come_from_the_settings(tmp_path):
    s = Settings(users_file=tmp_path / "u.json", signin_max_failures=2, signin_lock_minutes=1, **FAST)  # type: ignore[arg-type]
    st = UserStore(users_path(s), s)
    st.add_user("omar", PASSWORD, "hq", now=T0)
    assert st.verify("omar", "x", T0).outcome is Outcome.WRONG_PASSWORD
    r = st.verify("omar", "x", T0 + dt.timedelta(seconds=1))  # after the 1 s wait
    assert r.outcome is Outcome.LOCKED and r.locked_until == T0 + dt.timedelta(minutes=1, seconds=1)


class CountingHasher(PasswordHasher):
    """A real argon2 hasher that counts the hashes it checks (dependency injection, not a patch)."""

    checked = 0

    def verify(self, hash, password):  # noqa: A002 - argon2-cffi's own parameter name
        type(self).checked += 1
        return super().verify(hash, password)


def test_unknown_user_costs_an_argon2_check_and_reads_like_a_wrong_password(settings, amina, store):
    counting = UserStore(store.path, settings, hasher=CountingHasher(**{
        "time_cost": 1, "memory_cost": 256, "parallelism": 1}))
    CountingHasher.checked = 0
    unknown = counting.verify("nobody", PASSWORD, T0)
    assert unknown.outcome is Outcome.UNKNOWN_USER and CountingHasher.checked == 1
    wrong = counting.verify("amina", "not it", T0)
    assert CountingHasher.checked == 2
    assert unknown.message() == wrong.message() == REFUSED
    counting.set_disabled("amina", True)
    later = T0 + dt.timedelta(minutes=1)  # after the wait (an attempt within it is refused before argon2)
    assert counting.verify("amina", PASSWORD, later).outcome is Outcome.DISABLED and CountingHasher.checked == 3
    # and with the default cost, the time taken is of the same order (min of a few runs: robust on a busy box)
    slow = Settings(db=settings.db)
    real = UserStore(store.path, slow)
    real.set_disabled("amina", False)

    def best(name: str) -> float:
        times = []
        for n in range(3):  # an hour apart: every attempt is checked, none is "too soon"
            start = time.perf_counter()
            real.verify(name, "not it", T0 + dt.timedelta(days=1, hours=n))
            times.append(time.perf_counter() - start)
        real.unlock("amina")
        return min(times)

    assert best("nobody") > 0.25 * best("amina")


def test_a_hash_made_with_lower_settings_is_upgraded_at_sign_in(store, settings, amina):
    stronger = settings.model_copy(update={"argon2_time_cost": 2})
    UserStore(store.path, stronger).verify("amina", PASSWORD, T0)
    assert store.get("amina").password_hash.startswith("$argon2id$v=19$m=256,t=2,p=1$")
    assert store.verify("amina", PASSWORD, T0).ok


# ---------------------------------------------------------------------------------------- sessions


def test_session_expires_when_idle_or_too_old_and_ends_on_account_changes(store, amina):
    session = store.start_session(store.verify("amina", PASSWORD, T0).user, T0)
    assert session.scope.regions == {"Middle East and North Africa"}
    assert session.expires_at() == T0 + dt.timedelta(hours=8)
    # used every 7 hours: the idle clock resets, the absolute one does not
    s, why = store.resume(session, T0 + dt.timedelta(hours=7))
    assert s is not None and why == ""
    s, why = store.resume(s, T0 + dt.timedelta(hours=11, minutes=59))
    assert s is not None
    assert store.resume(s, T0 + dt.timedelta(hours=12)) == (
        None, "You were signed in for 12 hours, the longest a session lasts. Sign in again to continue.")
    assert store.resume(session, T0 + dt.timedelta(hours=8)) == (
        None, "Your session ended after 8 hours without use. Sign in again to continue.")
    # an admin's change of regions applies at the next click; a new password ends the session
    store.grant_regions("amina", "Asia", now=T0)
    s, _ = store.resume(session, T0 + dt.timedelta(minutes=1))
    assert s is not None and s.regions == ("Middle East and North Africa", "Asia")
    store.set_password("amina", "a brand new passphrase", now=T0 + dt.timedelta(minutes=2))
    assert store.resume(session, T0 + dt.timedelta(minutes=3))[0] is None
    store.remove_user("amina")
    assert store.resume(session, T0 + dt.timedelta(minutes=3))[1].startswith("This account was removed or disabled")


def test_session_limits_come_from_the_settings(store, settings, amina):
    short = UserStore(store.path, settings.model_copy(update={"session_idle_hours": 0.5, "session_max_hours": 1}))
    session = short.start_session(short.require("amina"), T0)
    assert session.ended(T0 + dt.timedelta(minutes=29)) is None
    assert session.ended(T0 + dt.timedelta(minutes=30)) == (
        "Your session ended after 30 minutes without use. Sign in again to continue.")


# ------------------------------------------------------------------------------ rules and regions


@pytest.mark.parametrize(("password", "message"), [
    ("short", "The password has 5 characters; it needs at least 12. A phrase of three or four unrelated words "
              "is long enough and easy to remember."),
    ("            ", "The password is empty or only spaces. Choose a phrase of three or four unrelated words."),
    ("Omar.Farouk.Ali", "The password is the username. Choose something nobody could guess from the username."),
    ("demo-coordinator", "That is a published demo password. Choose a password of your own."),
    ("x" * 1025, "The password has 1,025 characters; at most 1,024 are accepted. Choose a shorter one."),
])
def test_password_rules_say_how_to_fix(store, password, message):
    with pytest.raises(UserError) as err:
        store.add_user("omar.farouk.ali", password, "hq")
    assert str(err.value) == message
    assert not store.path.exists()


@pytest.mark.parametrize(("name", "role", "regions", "message"), [
    ("x", "hq", "", "'x' is not a usable username. Use 2 to 64 letters, digits, dots, dashes or underscores, "
                    "starting with a letter or digit (e.g. amina.hassan)."),
    ("omar", "boss", "", "'boss' is not a role. Use one of: hq, coordinator, negotiator, admin."),
    ("omar", "negotiator", "", "A negotiator would see nothing without a region. Grant at least one with "
                               "--regions \"Asia, East and Horn of Africa\"."),
    ("omar", "coordinator", "*", "'*' (every region) can only be granted to hq users. List the regions instead: "
     "Asia, East and Horn of Africa, Eastern Europe, Latin America and Caribbean, Middle East and North Africa, "
     "Other, West and Central Africa."),
    ("omar", "coordinator", "Asia, East Africa", "'East Africa' is not a region in "
     f"{REPO / 'data' / 'regions.csv'}. Use one of: Asia, East and Horn of Africa, Eastern Europe, Latin America "
     "and Caribbean, Middle East and North Africa, Other, West and Central Africa (comma-separated, in quotes)."),
])
def test_names_roles_and_regions_are_checked(store, name, role, regions, message):
    with pytest.raises(UserError) as err:
        store.add_user(name, PASSWORD, role, regions)
    assert str(err.value) == message


def test_regions_are_matched_to_the_regions_file_and_grants_add_or_replace(store, amina):
    assert store.grant_regions("amina", "ASIA, asia").regions == ("Middle East and North Africa", "Asia")
    assert store.grant_regions("amina", "Eastern Europe", replace_all=True).regions == ("Eastern Europe",)
    with pytest.raises(UserError, match="'amina' as coordinator would see nothing without a region"):
        store.revoke_regions("amina", "eastern europe")
    hq = store.add_user("hq.lead", PASSWORD, "hq", "*")
    assert hq.regions == ("*",) and hq.scope.clear_everywhere


# ------------------------------------------------------------------------------------ demo and roles


def test_demo_users_one_per_role_sign_in_with_published_passwords_and_raise_the_banner(store, amina):
    assert not store.demo_active()
    made = store.create_demo_users(T0)
    assert sorted(u.role for u in made) == sorted(roles.ROLE_NAMES)
    assert all(u.demo for u in made) and store.demo_active()
    for d in DEMO_USERS:
        r = store.verify(d.username, d.password, T0)
        assert r.ok and r.user is not None and r.user.demo
        assert store.start_session(r.user, T0).demo
    store.verify("demo-hq", "wrong", T0)
    store.create_demo_users(T0)  # run again: reset, not duplicated, lock counters cleared
    assert len(store.list_users()) == 5 and store.get("demo-hq").failed_attempts == 0
    assert [u.username for u in store.remove_demo_users()] == [d.username for d in sorted(DEMO_USERS,
                                                                                          key=lambda d: d.username)]
    assert not store.demo_active() and [u.username for u in store.list_users()] == ["amina"]


def test_a_real_user_named_like_a_demo_user_is_never_overwritten(store):
    store.add_user("demo-hq", PASSWORD, "hq")
    with pytest.raises(UserError, match="'demo-hq' is a real \\(non-demo\\) user"):
        store.create_demo_users()
    assert store.verify("demo-hq", PASSWORD, T0).ok


ISSUE_ROLES = {  # issue 5, "What to build", item 2, word for word
    "hq": "every region, trends and patterns; counterpart identities pseudonymised (stable codes) and "
          "confidential notes hidden, unless the user is also granted a region",
    "coordinator": "full detail for the regions granted to the user",
    "negotiator": "counterpart lookup and profiles with notes, for the regions granted",
    "admin": "users, loads, audit log; no negotiation content unless also granted regions",
}


def test_role_table_matches_the_issue():
    assert {name: r.wording for name, r in roles.ROLES.items()} == ISSUE_ROLES
    s = roles.scope_for
    everywhere = ["Asia", "Eastern Europe", "Other"]
    # hq: every region, trends and patterns, names and notes hidden ...
    hq = s("hq", ())
    assert all(hq.can_reach(r) and not hq.names_in_clear(r) and not hq.notes_visible(r) for r in everywhere)
    assert hq.capabilities == {roles.TRENDS, roles.PATTERNS}
    # ... unless also granted a region
    hq_asia = s("hq", ("Asia",))
    assert hq_asia.names_in_clear("Asia") and hq_asia.notes_visible("Asia")
    assert not hq_asia.names_in_clear("Eastern Europe") and hq_asia.can_reach("Eastern Europe")
    # coordinator: full detail, only in the regions granted
    co = s("coordinator", ("Asia",))
    assert co.can_reach("Asia") and co.names_in_clear("Asia") and co.notes_visible("Asia")
    assert not co.can_reach("Eastern Europe") and not co.names_in_clear("Eastern Europe")
    assert co.capabilities == roles.CONTENT
    # negotiator: counterpart lookup and profiles with notes, for the regions granted
    ne = s("negotiator", ("Asia",))
    assert ne.capabilities == {roles.COUNTERPART_LOOKUP, roles.PROFILES} and ne.notes_visible("Asia")
    assert not ne.may(roles.TRENDS) and not ne.can_reach("Other")
    # admin: users, loads, audit log; no negotiation content ...
    ad = s("admin", ())
    assert ad.capabilities == {roles.USERS, roles.LOADS, roles.AUDIT_LOG}
    assert not any(ad.can_reach(r) for r in everywhere)
    # ... unless also granted regions
    ad_asia = s("admin", ("Asia",))
    assert ad_asia.can_reach("Asia") and ad_asia.may(roles.PROFILES) and not ad_asia.can_reach("Other")
    # a role the table does not know reaches nothing
    assert not s("superuser", ("*",)).can_reach("Asia") and not s("superuser", ("*",)).capabilities


@pytest.mark.parametrize("module", ["etl.accounts.users", "etl.accounts.roles"])
def test_docstring_examples(module):
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


# --------------------------------------------------------------------------------------------- CLI


@pytest.fixture
def cli(tmp_path, monkeypatch, capsys):
    """Run ``python -m etl users ...`` in-process; the argon2 cost is lowered through ACCESS_* settings."""
    for key, value in FAST.items():
        monkeypatch.setenv(f"ACCESS_{key.upper()}", str(value))
    monkeypatch.delenv("ACCESS_USERS_FILE", raising=False)
    get_settings.cache_clear()
    db = tmp_path / "cli" / "access.duckdb"

    def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
        if stdin is not None:
            monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        code = main(["users", *args, "--db", str(db)])
        out = capsys.readouterr()
        return code, out.out, out.err

    yield run
    get_settings.cache_clear()


def test_cli_add_list_grant_set_role_unlock_remove(cli, tmp_path):
    users = tmp_path / "cli" / "users.json"
    assert cli("add", "Amina", "--role", "coordinator", "--regions", "Asia", "--display-name", "Amina H.",
               "--password-stdin", stdin=PASSWORD + "\n") == (
        0, f"Added coordinator 'amina' (regions: Asia) to {users}.\n", "")
    assert mode(users) == 0o600
    code, out, _ = cli("list")
    assert code == 0 and "amina     Amina H.  coordinator  Asia     active  never" in out
    assert "argon2" not in out and PASSWORD not in out
    assert cli("grant", "amina", "Eastern Europe, asia")[1] == "'amina' (coordinator) regions: Asia, Eastern Europe.\n"
    assert cli("set-role", "amina", "hq", "--regions", "")[1] == "'amina' is now hq (regions: all (pseudonymised)).\n"
    store = UserStore(users, get_settings())
    now = dt.datetime.now(dt.UTC)
    for n in range(5):  # a minute apart: each is checked (one within the wait after the last would not count)
        store.verify("amina", "wrong", now + dt.timedelta(minutes=n))
    assert cli("list")[1].count("locked until") == 1
    assert cli("unlock", "amina")[0] == 0 and "active" in cli("list")[1]
    assert cli("set-password", "amina", "--password-stdin", stdin="a completely new phrase\n")[0] == 0
    assert store.verify("amina", "a completely new phrase").ok
    assert cli("remove", "amina")[0] == 0
    assert cli("list")[1].startswith(f"No users in {users} yet.")


@pytest.mark.parametrize(("args", "stdin", "error"), [
    (("add", "omar", "--role", "hq", "--password-stdin"), "short\n",
     "error: The password has 5 characters; it needs at least 12. A phrase of three or four unrelated words is "
     "long enough and easy to remember.\n"),
    (("add", "omar", "--role", "hq", "--password-stdin"), "",
     "error: No password on standard input. Send it as one line, e.g. "
     "`printf '%s\\n' \"$PASSWORD\" | python -m etl users ...`.\n"),
    (("add", "omar", "--role", "hq"), "",  # no terminal, no --password-stdin: never hangs waiting
     "error: There is no terminal to ask for the password. Pass it as one line on standard input with "
     "--password-stdin.\n"),
    (("add", "omar", "--role", "negotiator", "--password-stdin"), PASSWORD + "\n",
     "error: A negotiator would see nothing without a region. Grant at least one with --regions "
     "\"Asia, East and Horn of Africa\".\n"),
    (("remove", "nobody"), None, "error: No user 'nobody' in {users}. Check the spelling (`python -m etl users "
                                 "list`); users: none yet.\n"),
    (("unlock", "nobody"), None, "error: No user 'nobody' in {users}. Check the spelling (`python -m etl users "
                                 "list`); users: none yet.\n"),
    (("grant", "nobody", "Mars"), None, "error: No user 'nobody' in {users}. Check the spelling (`python -m etl "
                                        "users list`); users: none yet.\n"),
])
def test_cli_errors_are_one_line_with_exit_code_1(cli, tmp_path, args, stdin, error):
    code, out, err = cli(*args, stdin=stdin)
    assert (code, out, err) == (1, "", error.format(users=tmp_path / "cli" / "users.json"))
    assert not (tmp_path / "cli" / "users.json").exists()


def test_cli_wrong_usage_exits_2_and_password_is_never_an_argument(cli):
    with pytest.raises(SystemExit) as exc:
        cli("add", "omar", "--role", "boss")
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        cli("add", "omar", "--role", "hq", "--password", PASSWORD)
    assert exc.value.code == 2


def test_cli_demo_creates_lists_and_removes_the_demo_users(cli):
    code, out, _ = cli("demo")
    assert code == 0
    for d in DEMO_USERS:
        assert f"{d.username}  " in out and d.password in out
    assert "dashboard shows a demo banner" in cli("list")[1]
    assert cli("demo", "--remove")[1].startswith("Removed 4 demo user(s)")
    assert "banner" not in cli("list")[1]


def test_python_m_etl_users_as_a_user_runs_it(tmp_path):
    env = {**os.environ, **{f"ACCESS_{k.upper()}": str(v) for k, v in FAST.items()},
           "ACCESS_USERS_FILE": str(tmp_path / "secure" / "team.json"), "ACCESS_DB": str(tmp_path / "access.duckdb")}
    r = subprocess.run([sys.executable, "-m", "etl", "users", "add", "lina", "--role", "admin", "--password-stdin"],
                       input=PASSWORD + "\n", cwd=REPO, capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout == f"Added admin 'lina' (regions: none) to {tmp_path / 'secure' / 'team.json'}.\n"
    assert mode(tmp_path / "secure" / "team.json") == 0o600 and mode(tmp_path / "secure") == 0o700
    r = subprocess.run([sys.executable, "-m", "etl", "users", "add", "lina", "--role", "admin", "--password-stdin"],
                       input=PASSWORD + "\n", cwd=REPO, capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert r.stderr.startswith("error: There is already a user 'lina' in ")


def test_single_sign_on_maps_an_email_to_one_user(store):
    """An identity the OIDC provider vouches for signs in as the user holding that e-mail, with that user's rules."""
    store.add_user("amina", PASSWORD, "coordinator", "Asia")
    store.add_user("omar", PASSWORD, "hq")
    store.set_sso_email("amina", "Amina.K@Example.org ")
    assert store.get("amina").sso_email == "amina.k@example.org"
    with pytest.raises(UserError, match="already signs in as 'amina'"):
        store.set_sso_email("omar", "amina.k@example.org")
    with pytest.raises(UserError, match="does not look like an e-mail"):
        store.set_sso_email("omar", "not an address")
    ok = store.verify_sso("AMINA.K@example.org", T0)
    assert ok.ok and ok.user.username == "amina" and ok.user.scope.regions == frozenset({"Asia"})
    assert store.verify_sso("someone@else.org", T0).outcome is Outcome.UNKNOWN_USER
    assert store.verify_sso(None, T0).outcome is Outcome.UNKNOWN_USER
    store.set_disabled("amina", True)
    assert store.verify_sso("amina.k@example.org", T0).outcome is Outcome.DISABLED
    store.set_sso_email("amina", "")
    assert store.get("amina").sso_email is None


# ------------------------------------------------------------------------- limits under attack (issue 10)


REFUSED = ("Wrong username or password, or the account is locked or disabled. Check both (passwords are "
           "case-sensitive) and try again; if it keeps failing, wait a while or ask an admin.")


def _seen(result, now) -> tuple[str, dt.timedelta | None]:
    """What the person at the form learns from an attempt: the message and how long they are made to wait."""
    return result.message(), None if result.retry_after is None else result.retry_after - now


def test_a_lock_stops_new_sign_ins_but_never_ends_a_live_session(store, amina):
    session = store.start_session(store.verify("amina", PASSWORD, T0).user, T0)
    for n in range(1, 6):  # someone else types five wrong passwords
        store.verify("amina", "guess", T0 + dt.timedelta(minutes=n))
    locked = T0 + dt.timedelta(minutes=6)
    assert store.require("amina").is_locked(locked)
    s, why = store.resume(session, locked)
    assert s is not None and why == ""  # the person already signed in keeps working
    assert not store.verify("amina", PASSWORD, locked).ok  # nobody opens a new session while it lasts
    # what ends a session is an admin's decision: disabling, removing or a new password
    store.set_disabled("amina", True, now=locked)
    assert store.resume(s, locked) == (
        None, "This account was removed or disabled. Ask an admin if you need access.")


def test_every_refusal_reads_the_same_whatever_the_account(store, amina):
    store.add_user("bashir", PASSWORD, "hq", now=T0)
    store.add_user("chen", PASSWORD, "hq", now=T0)
    store.set_disabled("chen", True)
    for n in range(5):
        store.verify("bashir", "guess", T0 + dt.timedelta(minutes=n))
    later = T0 + dt.timedelta(minutes=6)
    refusals = {
        "wrong password": store.verify("amina", "guess", later),
        "unknown user": store.verify("nobody", "guess", later),
        "locked, right password": store.verify("bashir", PASSWORD, later),
        "locked, wrong password": store.verify("bashir", "guess", later + dt.timedelta(minutes=1)),
        "disabled, right password": store.verify("chen", PASSWORD, later),
        "disabled, wrong password": store.verify("chen", "guess", later + dt.timedelta(minutes=1)),
    }
    assert {name: r.message() for name, r in refusals.items()} == dict.fromkeys(refusals, REFUSED)
    # the precise outcome stays on the server (audit log, `users list`)
    assert [r.outcome for r in refusals.values()] == [Outcome.WRONG_PASSWORD, Outcome.UNKNOWN_USER, Outcome.LOCKED,
                                                      Outcome.LOCKED, Outcome.DISABLED, Outcome.DISABLED]
    assert store.require("bashir").status(later) == "locked until 2026-03-02 08:49 UTC"


ATTEMPTS = [0, 0.5, 1, 1.2, 3, 7, 7.5, 15, 31, 31.1, 40, 100, 2000]  # seconds after the first: some too soon


def test_an_unknown_name_is_slowed_and_locked_exactly_like_a_real_one(store, amina):
    """Differential: the same attempts against a real, a disabled and an unknown name look identical."""
    store.add_user("chen", PASSWORD, "hq", now=T0)
    store.set_disabled("chen", True)
    seen: dict[str, list] = {}
    for name in ("amina", "chen", "nobody"):
        seen[name] = []
        for s in ATTEMPTS:
            now = T0 + dt.timedelta(seconds=s)
            seen[name].append(_seen(store.verify(name, "guess", now), now))
    assert seen["amina"] == seen["chen"] == seen["nobody"]
    waits = [w for _, w in seen["amina"]]
    assert waits[:4] == [dt.timedelta(seconds=1), dt.timedelta(seconds=0.5), dt.timedelta(seconds=2),
                         dt.timedelta(seconds=1.8)]  # the 2nd and 4th came too soon: refused, not counted
    assert seen["amina"][1][0] == "Too many failed sign-ins: wait 1 s before trying again."


def test_a_refusal_costs_the_same_disk_work_whether_or_not_the_name_exists(store, amina):
    def rewritten(name: str, when: dt.datetime) -> bool:
        before = os.stat(store.path).st_ino
        store.verify(name, "guess", when)
        return os.stat(store.path).st_ino != before  # written anew (a new file renamed over the old one)

    assert rewritten("amina", T0) and rewritten("nobody", T0)
    assert not rewritten("amina", T0) and not rewritten("nobody", T0)  # too soon: refused unchecked, unwritten


def test_the_wait_between_attempts_is_kept_by_the_store_not_by_the_form(store, amina):
    """A new browser session asks the same store: the wait after a wrong password holds for it too."""
    assert store.verify("amina", "guess", T0).outcome is Outcome.WRONG_PASSWORD
    other_store = UserStore(store.path, store.settings)  # e.g. another session's handle on the same file
    soon = other_store.verify("amina", PASSWORD, T0 + dt.timedelta(milliseconds=500))
    assert soon.outcome is Outcome.TOO_SOON and not soon.ok and soon.user is None
    assert store.get("amina").failed_attempts == 1  # refused without counting (and without argon2 work)
    assert other_store.verify("amina", PASSWORD, T0 + dt.timedelta(seconds=1)).ok


def test_the_first_wait_comes_from_the_settings(tmp_path):
    s = Settings(users_file=tmp_path / "u.json", signin_delay_s=60, **FAST)  # type: ignore[arg-type]
    st = UserStore(users_path(s), s)
    st.add_user("omar", PASSWORD, "hq", now=T0)
    assert st.verify("omar", "x", T0).retry_after == T0 + dt.timedelta(seconds=60)
    r = st.verify("omar", PASSWORD, T0 + dt.timedelta(seconds=1))
    assert r.outcome is Outcome.TOO_SOON and r.message() == "Too many failed sign-ins: wait 59 s before trying again."
    # a first wait longer than 30 s is also the longest: it does not double
    assert st.verify("omar", "x", T0 + dt.timedelta(seconds=60)).retry_after == T0 + dt.timedelta(seconds=120)


def test_one_address_is_limited_across_usernames_until_its_window_passes(tmp_path):
    s = Settings(users_file=tmp_path / "u.json", signin_address_max_failures=3,  # type: ignore[arg-type]
                 signin_address_window_minutes=10, **FAST)
    st = UserStore(users_path(s), s)
    st.add_user("amina", PASSWORD, "hq", now=T0)
    st.add_user("omar", PASSWORD, "hq", now=T0)
    here, there = "203.0.113.7", "198.51.100.2"
    assert st.verify("omar", PASSWORD, T0, address=here).ok  # a success does not earn an attacker more tries
    for n, name in enumerate(["amina", "nobody", "someone"]):  # one password sprayed over names
        assert st.verify(name, "Summer2026!", T0 + dt.timedelta(minutes=n), address=here).outcome in {
            Outcome.WRONG_PASSWORD, Outcome.UNKNOWN_USER}
    blocked = st.verify("omar", PASSWORD, T0 + dt.timedelta(minutes=3), address=here)
    assert blocked.outcome is Outcome.ADDRESS_LIMITED and not blocked.ok
    assert blocked.retry_after == T0 + dt.timedelta(minutes=10)  # when the first failure leaves the window
    assert blocked.message() == "Too many failed sign-ins: wait 7 min before trying again."
    assert st.get("omar").failed_attempts == 0  # refused before any account was looked at
    assert st.verify("omar", PASSWORD, T0 + dt.timedelta(minutes=3), address=there).ok  # other addresses unaffected
    assert st.verify("omar", PASSWORD, T0 + dt.timedelta(minutes=10), address=here).ok  # the window passed


def test_the_address_limit_counts_an_ipv6_network_as_one_address_and_stays_bounded():
    from etl.accounts.signin import AttemptLimits, limit_key

    assert limit_key("2001:db8:1:2::1") == limit_key("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert limit_key("::ffff:203.0.113.7") == "203.0.113.7" == limit_key(" 203.0.113.7 ")
    s = Settings(signin_address_max_failures=2, signin_address_window_minutes=1)
    limits = AttemptLimits(max_keys=3)
    for n in range(2):
        limits.address_failed(f"2001:db8:1:2::{n}", T0, s)
    assert limits.address_wait("2001:db8:1:2::99", T0, s) == T0 + dt.timedelta(minutes=1)
    for n in range(10):  # many addresses: the least recently failing are forgotten, memory stays bounded
        limits.address_failed(f"198.51.100.{n}", T0, s)
    assert limits.size() <= 3


@pytest.mark.parametrize(("peer", "forwarded", "trusted", "client"), [
    ("203.0.113.7", [], "", "203.0.113.7"),
    (None, [], "", "127.0.0.1"),  # Streamlit reports a connection from this machine as None
    ("203.0.113.7", ["1.2.3.4"], "", "203.0.113.7"),  # no proxy configured: a forged header is ignored
    ("198.51.100.9", ["1.2.3.4"], "10.0.0.0/8", "198.51.100.9"),  # not from the proxy: ignored
    (None, ["1.2.3.4, 203.0.113.7"], "127.0.0.1", "203.0.113.7"),  # the address the proxy saw, not the forged one
    ("10.0.0.2", ["203.0.113.7, 10.0.0.3"], "10.0.0.0/8", "203.0.113.7"),  # two proxies in a row
    ("10.0.0.2", ["1.2.3.4", "203.0.113.7"], "10.0.0.0/8", "203.0.113.7"),  # the header repeated: one list
    ("10.0.0.2", ["not an address"], "10.0.0.0/8", "10.0.0.2"),  # garbage: the proxy's own address
    ("10.0.0.2", [], "10.0.0.0/8", "10.0.0.2"),
])
def test_the_client_address_trusts_x_forwarded_for_only_from_configured_proxies(peer, forwarded, trusted, client):
    from etl.accounts.signin import client_address

    settings = Settings(trusted_proxies=trusted)  # type: ignore[arg-type]
    assert client_address(peer, forwarded, settings) == client


def test_a_trusted_proxy_that_is_not_an_address_is_refused_at_startup():
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="'proxy.local' is not an IP address or network; give addresses such as "
                                              "127.0.0.1 or networks such as 10.0.0.0/8, comma-separated"):
        Settings(trusted_proxies="10.0.0.0/8, proxy.local")  # type: ignore[arg-type]
    assert [str(n) for n in Settings(trusted_proxies=" 10.0.0.0/8,, ::1 ").trusted_networks()] == [  # type: ignore[arg-type]
        "10.0.0.0/8", "::1/128"]
