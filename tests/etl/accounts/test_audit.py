"""The audit log: events appended by the commands that change data, read back with who / what / target;
concurrent writers, owner-only file, hostile text kept as data, ``python -m etl audit`` and the admin page.

Everything runs on real files in tmp_path: the commands through ``etl.cli.main`` (the same code path
as ``python -m etl``), concurrency through two real processes.
"""

from __future__ import annotations

import datetime as dt
import doctest
import getpass
import io
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from etl.accounts import audit
from etl.cli.main import main
from etl.config import Settings, get_settings
from tests.conftest import REPO, row, write_csv

FAST = {"ACCESS_ARGON2_TIME_COST": "1", "ACCESS_ARGON2_MEMORY_KIB": "256", "ACCESS_ARGON2_PARALLELISM": "1"}
HOSTILE = [
    "<script>alert('x')</script>",
    '<img src=x onerror="alert(1)">',
    "\u202eCP-0001 (right-to-left override)",
    "two\nlines\r\nand a tab\t",
    "'; DROP TABLE engagements; --",
    "=HYPERLINK(\"http://evil.example\",\"click\")",
    "**bold** [link](javascript:alert(1)) $x$",
    "\x00\x1b[31mterminal escape",
]


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """No ACCESS_* setting from the developer's shell; the database in tmp_path; cheap argon2."""
    for key in [k for k in os.environ if k.startswith("ACCESS_")]:
        monkeypatch.delenv(key)
    db = tmp_path / "access.duckdb"
    monkeypatch.setenv("ACCESS_DB", str(db))
    for key, value in FAST.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    yield Settings(db=db)
    get_settings.cache_clear()


def events(settings: Settings, **filters: object) -> list[dict]:
    """The events as plain dicts, JSON fields decoded (independently of etl.accounts.audit: straight from the file)."""
    df = audit.read(settings, **filters)  # type: ignore[arg-type]
    out = []
    for r in df.to_dict("records"):
        for key in ("target", "filters", "detail"):
            value = r[key]
            if isinstance(value, str) and value[:1] in "[{":
                r[key] = json.loads(value)
        out.append(r)
    return out


def file_lines(settings: Settings) -> list[dict]:
    return [json.loads(line) for line in audit.audit_path(settings).read_text(encoding="ascii").splitlines()]


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_docstring_examples():
    result = doctest.testmod(audit, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


# ------------------------------------------------------------------------------------------ commands


def test_a_load_is_on_record_with_who_what_and_files(env, tmp_path, capsys):
    log = write_csv(tmp_path / "field_log.csv", [row(engagement_id="A-1"), row(engagement_id="A-2"),
                                                 row(engagement_id="A-3", country="ZZZ")])
    assert main(["load", str(log), "--db", str(env.db), "--quiet"]) == 0
    assert main(["load", str(log), "--db", str(env.db), "--quiet"]) == 0  # the same file again: nothing new
    capsys.readouterr()
    con = duckdb.connect(str(env.db), read_only=True)
    loaded, load_id = con.execute("SELECT count(*), max(load_id) FROM engagements").fetchone()
    con.close()

    again, first = events(env)  # newest first
    assert first["action"] == "load" == again["action"]
    assert first["who"] == getpass.getuser() and first["role"] is None
    assert first["target"] == [str(log)]
    assert first["detail"]["via"] == "command line"
    assert first["detail"]["outcome"] == "done"
    assert first["detail"]["rows_loaded"] == loaded == 2
    assert first["detail"]["rows_rejected"] == 1
    assert first["detail"]["load_ids"] == [load_id]
    assert again["detail"]["files"] == {"already_loaded": 1} and again["detail"]["rows_loaded"] == 0
    assert first["ts"] <= again["ts"]
    assert audit.audit_path(env) == tmp_path / "access.audit.jsonl"
    assert mode(audit.audit_path(env)) == 0o600


def test_a_failed_load_is_on_record_with_its_problem(env, tmp_path, capsys):
    bad = tmp_path / "empty.csv"
    bad.write_text("", encoding="utf-8")
    assert main(["load", str(bad), "--db", str(env.db), "--quiet"]) == 1
    capsys.readouterr()
    (event,) = events(env, action="load")
    assert event["detail"]["outcome"] == "failed"
    assert event["detail"]["files"] == {"failed": 1}
    assert "empty.csv" in event["detail"]["problems"][0]


def test_a_boundaries_command_is_on_record(env, tmp_path, capsys):
    not_boundaries = write_csv(tmp_path / "notes.csv", [{"a": "1", "b": "2"}])
    assert main(["boundaries", str(not_boundaries), "--iso3", "SDN", "--db", str(env.db)]) == 1
    capsys.readouterr()
    (event,) = events(env)
    assert event["action"] == "boundaries" and event["target"] == [str(not_boundaries)]
    assert event["detail"]["outcome"] == "failed" and event["detail"]["iso3"] == "SDN"
    assert event["detail"]["files"] == [{"file": "notes.csv", "status": "failed", "kind": "", "load_id": None}]


def test_an_action_that_cannot_be_audited_does_not_happen(env, tmp_path, monkeypatch, capsys):
    (tmp_path / "not-a-file").mkdir()
    monkeypatch.setenv("ACCESS_AUDIT_FILE", str(tmp_path / "not-a-file"))
    get_settings.cache_clear()
    log = write_csv(tmp_path / "log.csv", [row()])
    assert main(["load", str(log), "--db", str(env.db), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: Cannot write the audit log {tmp_path / 'not-a-file'}: it is a folder, not a file. "
                          "Nothing was done.")
    assert "\n" not in err.strip()
    assert not env.db.exists()  # the load never started


def test_a_link_planted_at_the_audit_path_is_refused(env, tmp_path):
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_text("precious\n", encoding="utf-8")
    audit.audit_path(env).symlink_to(elsewhere)
    with pytest.raises(audit.AuditError, match="it is a symbolic link"):
        audit.record("sign_in", who="amina", settings=env)
    assert elsewhere.read_text(encoding="utf-8") == "precious\n"


def test_counterpart_decisions_are_on_record_and_refusals_too(env, tmp_path, capsys):
    log = write_csv(tmp_path / "log.csv", [row(engagement_id="A-1", counterpart="Col. Mohammed Idris"),
                                           row(engagement_id="A-2", counterpart="Sheikh Abdullah Nasser")])
    assert main(["load", str(log), "--db", str(env.db), "--quiet"]) == 0
    con = duckdb.connect(str(env.db), read_only=True)
    a, b = [r[0] for r in con.execute("SELECT counterpart_id FROM counterparts ORDER BY counterpart_id").fetchall()]
    con.close()
    assert main(["counterparts", "merge", a, b, "--keep", a, "--reason", "same man, <b>confirmed</b>",
                 "--db", str(env.db)]) == 0
    assert main(["counterparts", "merge", a, "CP-NOPE", "--db", str(env.db)]) == 1
    assert main(["counterparts", "list", "--db", str(env.db)]) == 0  # reading: not an event
    capsys.readouterr()

    refused, merged = events(env, action="decision")
    assert merged["who"] == getpass.getuser()
    assert merged["target"] == [a, b]
    assert merged["detail"] == {"outcome": "done", "via": "command line", "command": "counterparts merge",
                                "keep": a, "reason": "same man, <b>confirmed</b>"}
    assert refused["target"] == [a, "CP-NOPE"]
    assert refused["detail"]["outcome"].startswith("refused: ") and "CP-NOPE" in refused["detail"]["outcome"]
    assert [e["action"] for e in events(env)] == ["decision", "decision", "load"]


def test_user_changes_are_on_record_and_never_the_password(env, monkeypatch, capsys):
    password = "a long enough passphrase 42"
    monkeypatch.setattr(sys, "stdin", io.StringIO(password + "\n"))
    assert main(["users", "add", "amina", "--role", "coordinator", "--regions", "middle east and north africa",
                 "--password-stdin", "--db", str(env.db)]) == 0
    assert main(["users", "disable", "amina", "--db", str(env.db)]) == 0
    assert main(["users", "remove", "nobody", "--db", str(env.db)]) == 1
    assert main(["users", "list", "--db", str(env.db)]) == 0  # reading: not an event
    capsys.readouterr()

    refused, disabled, added = events(env, action="users_change")
    assert added["who"] == getpass.getuser() and added["target"] == "amina"
    assert added["detail"] == {"outcome": "done", "via": "command line", "command": "users add",
                               "role": "coordinator", "regions": "middle east and north africa"}
    assert disabled["detail"]["command"] == "users disable" and disabled["target"] == "amina"
    assert refused["target"] == "nobody" and refused["detail"]["outcome"].startswith("refused: ")
    assert password not in audit.audit_path(env).read_text(encoding="ascii")


# ------------------------------------------------------------------------------------------ the file


def test_the_file_is_owner_only_and_only_ever_appended(env):
    path = audit.audit_path(env)
    audit.record("sign_in", who="amina", role="coordinator", settings=env)
    assert mode(path) == 0o600
    before = path.read_bytes()
    os.chmod(path, 0o644)  # copied or restored with a looser mode
    audit.record("sign_out", who="amina", role="coordinator", settings=env)
    assert mode(path) == 0o600
    after = path.read_bytes()
    assert after.startswith(before) and after.count(b"\n") == 2
    with pytest.raises(ValueError, match="unknown audit action 'looked'"):
        audit.record("looked", who="amina", settings=env)
    assert path.read_bytes() == after


def test_a_torn_last_line_does_not_swallow_the_next_event_and_is_reported(env):
    path = audit.audit_path(env)
    audit.record("sign_in", who="amina", settings=env)
    with open(path, "ab") as fh:
        fh.write(b'{"ts":"2026-03-01T09:00:00+00:00","action":"prof')  # a crash half-way through a line
    audit.record("profile_view", who="amina", target="CP-0042", settings=env)
    assert [e["action"] for e in events(env)] == ["profile_view", "sign_in"]
    assert audit.damaged_lines(env) == 1


def test_hostile_text_stays_data(env):
    long_text = "A" * 50_000
    for text in HOSTILE:
        audit.record("profile_view", who=text, role=text, target=text, filters={"organisation": [text]},
                     detail={"note": text}, settings=env)
    audit.record("export", who="amina", target=long_text, settings=env)

    raw = audit.audit_path(env).read_bytes()
    assert raw.isascii()  # escapes only: no raw control, bidi or line-separator characters in the file
    assert raw.count(b"\n") == len(HOSTILE) + 1  # one line per event, whatever the text held
    assert b"<script>" in raw  # stored as written (escaping is the renderer's job), not eval'd or dropped

    got = events(env)
    cut = got[0]
    assert cut["target"].startswith("A" * audit.MAX_TEXT) and cut["target"].endswith("[cut: 48000 characters]")
    by_target = {e["target"]: e for e in got[1:]}
    for text in HOSTILE:
        clean = text
        event = by_target[clean]
        assert event["who"] == clean.strip()
        assert event["filters"] == {"organisation": [clean]}
        assert event["detail"] == {"note": clean}
    # a filter value is a bound parameter: SQL in it is just text to look for
    assert [e["target"] for e in events(env, target="'; DROP TABLE")] == [HOSTILE[4]]


CHILD = """
import sys
from pathlib import Path
from etl.accounts import audit
from etl.config import Settings
settings = Settings(db=Path(sys.argv[1]))
name = sys.argv[2]
for i in range(int(sys.argv[3])):
    audit.record("profile_view", who=name, target=f"{name}-{i:04d}", settings=settings,
                 detail={"padding": [name * 400] * 4})  # about 8 KB a line: more than one pipe buffer
"""


def test_two_processes_appending_at_once_leave_whole_lines(env):
    per_process = 150
    children = [subprocess.Popen([sys.executable, "-c", CHILD, str(env.db), name, str(per_process)], cwd=REPO,
                                 env={**os.environ, "PYTHONPATH": str(REPO)}) for name in ("alpha", "bravo")]
    assert [c.wait(timeout=120) for c in children] == [0, 0]

    lines = file_lines(env)  # every line parses on its own
    assert len(lines) == 2 * per_process
    assert all(len(json.dumps(line)) > 4096 for line in lines)
    for name in ("alpha", "bravo"):
        mine = [line["target"] for line in lines if line["who"] == name]
        assert mine == [f"{name}-{i:04d}" for i in range(per_process)]  # all there, in the order written
    assert len(audit.read(env)) == 2 * per_process and audit.damaged_lines(env) == 0


# ------------------------------------------------------------------------------------------ reading


def _seed(settings: Settings) -> None:
    """Events at known times (written as record() writes them)."""
    path = audit.audit_path(settings)
    day = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
    for n, (action, who, target) in enumerate([
        ("sign_in", "amina", None),
        ("profile_view", "amina", "CP-0042"),
        ("profile_view", "amina", "CP-0007"),
        ("sign_in_failed", "mallory", None),
        ("profile_view", "bilal", "CP-0042"),
        ("export", "bilal", "=cmd|' /C calc'!A0"),
    ]):
        audit.append_line(path, audit.event_line(action, who=who, role="negotiator", target=target,
                                                 when=day + dt.timedelta(days=n)))


def test_read_filters_and_counts(env):
    _seed(env)
    assert [e["target"] for e in events(env, action="profile_view", who="amina")] == ["CP-0007", "CP-0042"]
    assert [e["who"] for e in events(env, target="cp-0042")] == ["bilal", "amina"]  # who looked at which counterpart
    assert [e["action"] for e in events(env, since=dt.date(2026, 3, 3), until=dt.date(2026, 3, 4))] == [
        "sign_in_failed", "profile_view"]
    assert len(audit.read(env, limit=2)) == 2
    assert audit.people(env) == ["amina", "bilal", "mallory"]
    counts = audit.counts(env, since=dt.date(2026, 3, 2))
    assert dict(zip(counts["action"], counts["events"], strict=True)) == {"profile_view": 3, "sign_in_failed": 1,
                                                                           "export": 1}
    assert audit.read(Settings(db=env.db.with_name("other.duckdb"))).empty  # no file yet: no events, no error


def test_audit_command_prints_and_exports(env, tmp_path, capsys):
    _seed(env)
    assert main(["audit", "--db", str(env.db), "--action", "profile_view", "--target", "CP-0042"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split() == ["when", "(UTC)", "action", "who", "role", "target", "filters", "detail"]
    assert lines[1].split()[:5] == ["2026-03-05", "09:00:00", "profile_view", "bilal", "negotiator"]
    assert lines[2].split()[:4] == ["2026-03-02", "09:00:00", "profile_view", "amina"]
    assert "2 event(s), newest first." in out

    csv_path = tmp_path / "audit.csv"
    assert main(["audit", "--db", str(env.db), "--who", "bilal", "--csv", str(csv_path)]) == 0
    assert "Wrote 2 event(s)" in capsys.readouterr().out
    assert mode(csv_path) == 0o600
    table = pd.read_csv(csv_path, dtype=str)
    assert table["target"].tolist() == ["'=cmd|' /C calc'!A0", "CP-0042"]  # a formula stays text in a spreadsheet
    (export,) = events(env, action="export", who=getpass.getuser())  # handing out the log is on record
    assert export["target"] == str(csv_path) and export["filters"] == {"who": "bilal"}

    with pytest.raises(SystemExit) as usage:  # argparse: wrong usage, exit code 2
        main(["audit", "--db", str(env.db), "--since", "2026-13-01"])
    assert usage.value.code == 2
    assert "is not a date: give it as YYYY-MM-DD" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------ the page


def _session(settings: Settings, role: str, regions: tuple[str, ...] = ()):
    from etl.accounts.users import UserStore, users_path

    store = UserStore(users_path(settings), Settings(db=settings.db, argon2_time_cost=1, argon2_memory_kib=256,
                                                     argon2_parallelism=1))
    user = store.add_user(f"test-{role}", "a long enough passphrase 42", role, list(regions))
    return store.start_session(user)


def _page(settings: Settings, role: str = "admin", regions: tuple[str, ...] = ()):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(REPO / "dashboard" / "app_pages" / "audit.py"), default_timeout=60)
    at.session_state["auth_session"] = _session(settings, role, regions)
    return at


def test_the_page_shows_who_looked_at_which_counterpart_as_text(env):
    _seed(env)
    for text in HOSTILE:
        audit.record("denied", who="mallory", target=text, settings=env)
    at = _page(env).run()
    assert not at.exception
    per_action, log = at.dataframe[0].value, at.dataframe[1].value
    # Actions in words (dashboard/ui/labels.py), written here by hand.
    assert dict(zip(per_action["action"], per_action["events"], strict=True))["Opened a counterpart profile"] == 3
    assert len(log) == 6 + len(HOSTILE)
    assert log["ts"].is_monotonic_decreasing
    assert set(HOSTILE) <= set(log["target"])  # verbatim, in a table cell (text), not interpreted
    drawn = " ".join(str(e.value) for e in [*at.markdown, *at.caption, *at.info, *at.warning, *at.error])
    assert "<script>" not in drawn and "onerror" not in drawn

    at.selectbox(key="audit_who").set_value("amina").run()
    at.text_input(key="audit_target").set_value("CP-0042").run()
    log = at.dataframe[1].value
    assert log[["action", "who", "target"]].values.tolist() == [["Opened a counterpart profile", "amina", "CP-0042"]]
    assert at.get("download_button")[0].proto.label == "CSV"


def test_the_page_is_for_admins_only(env):
    _seed(env)
    at = _page(env, "coordinator", ("Middle East and North Africa",)).run()
    assert not at.exception
    assert [e.value for e in at.error] == ["The audit log is for admins."]
    assert not at.dataframe


def test_the_page_says_when_there_is_nothing_yet(env):
    at = _page(env).run()
    assert not at.exception and not at.dataframe
    assert "No events yet" in at.info[0].value
