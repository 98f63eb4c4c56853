"""Confidentiality at rest, under attack: what lies beside the database, who may read it, what is parsed.

1. With a database key, no file in the data folder holds a counterpart's name, name key, id or an
   unsalted hash of its name in clear: the decisions mirror and the audit log are sealed, uploads
   are deleted once loaded. A control run without a key finds them (so the scan can fail).
2. Every file and folder the ETL and the app write is owner-only, DuckDB's WAL and spill files
   included (watched while they exist, in processes started with the usual 022 umask).
3. A workbook or zipped shapefile that would inflate past the limits is refused before it is
   parsed, with one message naming the file, and the database stays byte-identical.

Real files throughout: CSV logs, real DuckDB files in tmp_path, the real CLI in fresh processes.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import struct
import subprocess
import sys
import textwrap
import threading
import time
import zipfile
from pathlib import Path

import pytest
from pydantic import SecretStr

from etl.accounts import audit
from etl.cli.main import main
from etl.config import Settings, get_settings
from etl.counterparts import mirror
from etl.counterparts.names import name_key, stable_id
from etl.errors import InputFileError
from etl.store.db import connect_read
from tests.conftest import row, write_csv
from tests.etl.store.test_encryption import no_outside_key  # noqa: F401 - autouse: no ACCESS_* setting or secrets file leaks in

REPO = Path(__file__).resolve().parents[3]
KEY = "at rest: a long test key"

# Distinctive counterparts: two spellings of one commander (merged below) and an intermediary's unit.
THISTLE, THISTLE_TYPO = "Col. Zenobia Thistlewood", "Col. Zenobia Thistlewod"
VASQUEZ = "Maj. Ormond Vasquez-Pell"
NAMES = [THISTLE, THISTLE_TYPO, VASQUEZ]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCESS_")}
    return {**env, "PYTHONPATH": str(REPO), **extra}



def _loose_umask() -> None:
    os.umask(0o022)  # what a login shell usually has: files 0644, folders 0755


def _use(monkeypatch: pytest.MonkeyPatch, db: Path, key: str | None) -> Settings:
    monkeypatch.setenv("ACCESS_DB", str(db))
    if key is not None:
        monkeypatch.setenv("ACCESS_DB_KEY", key)
    get_settings.cache_clear()
    return get_settings()


def _log(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_csv(path, [
        row(engagement_id="AR-1", request_id="AR-R1", counterpart=THISTLE, notes="Convoy passed."),
        row(engagement_id="AR-2", request_id="AR-R2", date="2025-03-07", counterpart=THISTLE),
        row(engagement_id="AR-3", request_id="AR-R3", date="2025-03-09", counterpart=THISTLE_TYPO, outcome="Denied"),
        row(engagement_id="AR-4", request_id="AR-R4", date="2025-03-11", counterpart=VASQUEZ, outcome="Granted"),
    ])


def _needles(ids: list[str]) -> dict[str, bytes]:
    """What must not be readable beside the database: names, name keys, ids, unsalted hashes of the names."""
    out: dict[str, bytes] = {}
    for text in {*NAMES, *(name_key(n) for n in NAMES), "Thistlewood", "Vasquez-Pell"}:
        out[text] = text.encode()
        for algo in ("sha256", "md5", "sha1"):
            digest = hashlib.new(algo, text.encode()).hexdigest()
            out[f"{algo}({text})"] = digest.encode()
            out[f"{algo}({text}) upper"] = digest.upper().encode()
    for ident in ids:
        out[ident] = ident.encode()
        out[ident.lower()] = ident.lower().encode()  # the hex part of an id is an unsalted name hash
    return out


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def _found(files: list[Path], needles: dict[str, bytes]) -> dict[str, list[str]]:
    """Which needle is in which file, byte by byte (case-insensitively for the names)."""
    hits: dict[str, list[str]] = {}
    for path in files:
        data = path.read_bytes()
        lowered = data.lower()
        for label, needle in needles.items():
            if needle in data or needle.lower() in lowered:
                hits.setdefault(label, []).append(path.name)
    return hits


def _side_files(db: Path) -> list[Path]:
    """Every file of the data folder except the database itself (DuckDB encrypts that one)."""
    return [p for p in _files(db.parent) if p != db]


# ------------------------------------------------------------------------------------- 1. sealed


@pytest.mark.parametrize("key", [None, KEY], ids=["plain control", "with a key"])
def test_with_a_key_nothing_beside_the_database_names_a_counterpart(tmp_path, monkeypatch, capsys, key):
    db = tmp_path / "data" / "access.duckdb"
    settings = _use(monkeypatch, db, key)
    log = _log(tmp_path / "logs" / "field_log.csv")
    assert main(["load", str(log), "--db", str(db), "--quiet"]) == 0
    con = connect_read(db)
    try:
        ids = dict(con.execute("SELECT name, counterpart_id FROM counterparts").fetchall())
    finally:
        con.close()
    assert set(ids) == set(NAMES), ids
    # A merge (recorded, mirrored, audited), and what the app records: a profile view, a search, an upload name.
    assert main(["counterparts", "merge", ids[THISTLE], ids[THISTLE_TYPO], "--reason", f"{THISTLE} misspelt",
                 "--db", str(db)]) == 0
    audit.record("profile_view", who="amina", role="negotiator", target=ids[VASQUEZ],
                 detail={"searched": VASQUEZ}, settings=settings)
    audit.record("upload", who="amina", role="coordinator", target=f"{VASQUEZ} log.csv", settings=settings)
    capsys.readouterr()

    needles = _needles(list(ids.values()))
    side = _side_files(db)
    assert {p.name for p in side} >= {"access.counterpart_decisions.csv", "access.audit.jsonl"}
    hits = _found(side, needles)
    if key is None:
        # The scan can fail: without a key the mirror and the audit log name the counterparts and their ids.
        assert {THISTLE, VASQUEZ, ids[THISTLE], ids[VASQUEZ], name_key(THISTLE)} <= set(hits), hits
        assert "access.counterpart_decisions.csv" in hits[THISTLE] and "access.audit.jsonl" in hits[VASQUEZ]
        return
    assert hits == {}, f"found in clear beside the encrypted database: {hits}"
    assert _found([db], needles) == {}

    # Still readable with the key: the audit command and the reader, and the decision survives a rebuild.
    assert main(["audit", "--db", str(db)]) == 0
    printed = capsys.readouterr().out
    assert ids[VASQUEZ] in printed and "decision" in printed and f"{VASQUEZ} log.csv" in printed
    views = audit.read(settings, action="profile_view")
    assert views["target"].tolist() == [ids[VASQUEZ]] and VASQUEZ in views["detail"][0]
    assert audit.damaged_lines(settings) == 0
    for p in db.parent.iterdir():
        if p.name.startswith(db.name) and p.is_file():
            p.unlink()
    assert main(["load", str(log), "--db", str(db), "--quiet"]) == 0
    con = connect_read(db)
    try:
        assert con.execute("SELECT count(*) FROM counterparts").fetchone() == (2,)  # the merge came back
        assert con.execute("SELECT count(*) FROM counterpart_decisions").fetchone() == (1,)
    finally:
        con.close()
    assert _found(_side_files(db), needles) == {}


def test_a_sealed_side_file_cannot_be_read_without_the_key_and_says_why(tmp_path, monkeypatch, capsys):
    db = tmp_path / "data" / "access.duckdb"
    settings = _use(monkeypatch, db, KEY)
    audit.record("profile_view", who="amina", role="negotiator", target="CP-0000000001", settings=settings)
    mirror.write_mirror(mirror.mirror_path(db, settings), [], settings=settings)
    monkeypatch.delenv("ACCESS_DB_KEY")
    plain = Settings(db=db)
    with pytest.raises(audit.AuditError, match="encrypted"):
        audit.read(plain)
    with pytest.raises(InputFileError, match="encrypted"):
        mirror.read_mirror(mirror.mirror_path(db, plain), settings=plain)
    wrong = Settings(db=db, db_key=SecretStr("not the key"))
    with pytest.raises(audit.AuditError, match="key does not open the audit log"):
        audit.read(wrong)
    with pytest.raises(InputFileError, match="does not open with the configured database key"):
        mirror.read_mirror(mirror.mirror_path(db, wrong), settings=wrong)
    # One damaged line among good ones is counted, never shown as an event; the others still read.
    audit.record("sign_in", who="amina", role="negotiator", settings=settings)
    path = audit.audit_path(settings)
    lines = path.read_bytes().splitlines()
    path.write_bytes(lines[0][:-8] + b"AAAAAAA=\n" + lines[1] + b"\n")
    assert audit.read(settings)["action"].tolist() == ["sign_in"] and audit.damaged_lines(settings) == 1


def test_encrypt_seals_the_audit_log_and_the_mirror_written_before_the_key(tmp_path, monkeypatch, capsys):
    db = tmp_path / "data" / "access.duckdb"
    settings = _use(monkeypatch, db, None)
    log = _log(tmp_path / "logs" / "field_log.csv")
    assert main(["load", str(log), "--db", str(db), "--quiet"]) == 0
    merged = [stable_id("CP", "YEM", name_key(n)) for n in (THISTLE, THISTLE_TYPO)]
    assert main(["counterparts", "merge", *merged, "--db", str(db)]) == 0
    audit.record("profile_view", who="amina", role="negotiator", target=merged[0], settings=settings)
    needles = _needles(merged)
    assert _found(_side_files(db), needles)  # plain so far

    settings = _use(monkeypatch, db, KEY)
    assert main(["encrypt", "--db", str(db)]) == 0
    assert _found(_side_files(db), needles) == {}
    assert audit.read(settings, action="profile_view")["target"].tolist() == [merged[0]]
    assert len(audit.read(settings)) == 3 and audit.damaged_lines(settings) == 0  # load, merge, view: all kept
    assert [d.action for d in mirror.read_mirror(mirror.mirror_path(db, settings), settings)] == ["merge"]
    capsys.readouterr()
    # Encrypting again has nothing left to do.
    assert main(["encrypt", "--db", str(db)]) == 1
    assert "already encrypted" in capsys.readouterr().err
    assert _found(_side_files(db), needles) == {}


@pytest.mark.parametrize("key", [None, KEY], ids=["plain: kept as before", "with a key: deleted"])
def test_an_uploaded_log_does_not_stay_in_clear_once_loaded(tmp_path, monkeypatch, key):
    from dashboard import uploads

    db = tmp_path / "data" / "access.duckdb"
    _use(monkeypatch, db, key)
    content = _log(tmp_path / "logs" / "field_log.csv").read_bytes()
    results, error = uploads.load_upload("Thistlewood field log.csv", content)
    assert error is None and [r.status for r in results] == ["loaded"]
    left = [p for folder in (db.parent, REPO / "data" / "uploads") if folder.is_dir()
            for p in folder.rglob("*Thistlewood_field_log.csv")]
    if key is None:
        assert [p.parent for p in left] == [db.parent / "uploads"]  # kept beside the database, owner-only
        assert stat.S_IMODE(left[0].stat().st_mode) == 0o600
        return
    assert left == []
    # A file that fails to load is deleted too, and the message says so.
    results, error = uploads.load_upload("Thistlewood broken.csv", b"date,country\n")
    assert results and results[0].status == "failed" and "deleted" in (results[0].message + (error or ""))
    assert not [p for folder in (db.parent, REPO / "data" / "uploads") if folder.is_dir()
                for p in folder.rglob("*Thistlewood_broken.csv")]


# ------------------------------------------------------------------------------------- 2. owner-only


class _Watcher:
    """Record the mode of every file and folder under ``root`` while a process runs (WAL and spill files
    exist only for a moment)."""

    def __init__(self, *roots: Path) -> None:
        self.roots = roots
        self.seen: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _look(self) -> None:
        for root in self.roots:
            for dirpath, dirnames, filenames in os.walk(root):
                for name in [*dirnames, *filenames]:
                    path = os.path.join(dirpath, name)
                    try:
                        self.seen[path] = stat.S_IMODE(os.lstat(path).st_mode)
                    except FileNotFoundError:
                        pass

    def _run(self) -> None:
        while not self._stop.is_set():
            self._look()
            time.sleep(0.002)

    def __enter__(self) -> _Watcher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._look()

    def readable_by_others(self) -> dict[str, str]:
        return {p: oct(m) for p, m in self.seen.items() if m & 0o077}


def test_a_load_from_the_command_line_writes_owner_only_files_wal_included(tmp_path):
    db = tmp_path / "data" / "access.duckdb"
    rows = [row(engagement_id=f"W-{i}", request_id=f"WR-{i}", counterpart=f"Commander {i % 97}") for i in range(3000)]
    (tmp_path / "logs").mkdir()
    log = write_csv(tmp_path / "logs" / "log.csv", rows)
    with _Watcher(tmp_path) as watcher:
        done = subprocess.run([sys.executable, "-m", "etl", "load", str(log), "--db", str(db), "--quiet"],
                              cwd=REPO, env=_env(), capture_output=True, text=True, timeout=300,
                              preexec_fn=_loose_umask)
    assert done.returncode == 0, done.stderr
    seen = {Path(p).name for p in watcher.seen}
    assert "access.duckdb.next.wal" in seen, sorted(seen)  # the watcher did see DuckDB's WAL
    written = {p: m for p, m in watcher.readable_by_others().items() if not p.startswith(str(tmp_path / "logs"))}
    assert written == {}
    assert watcher.seen[str(db.parent)] == 0o700


SPILL = textwrap.dedent("""
    import json, os, stat, sys, threading, time
    from pathlib import Path
    {start}
    from etl.store.db import open_for_write
    db = Path(sys.argv[1]); seen = {{}}; stop = threading.Event()
    def watch():
        while not stop.is_set():
            for d, dirs, files in os.walk(db.parent):
                for n in dirs + files:
                    p = os.path.join(d, n)
                    try:
                        seen[p] = stat.S_IMODE(os.lstat(p).st_mode)
                    except FileNotFoundError:
                        pass
            time.sleep(0.002)
    t = threading.Thread(target=watch, daemon=True); t.start()
    with open_for_write(db, memory_limit="64MB") as con:
        con.execute("SET threads = 1")
        con.execute("CREATE TABLE t AS SELECT md5(i::VARCHAR) || md5((i * 7)::VARCHAR) AS s "
                    "FROM range(1000000) r(i) ORDER BY s")
    stop.set(); t.join()
    print(json.dumps(seen))
""")


@pytest.mark.parametrize("start", ["", "from etl.cli.main import owner_only_umask; owner_only_umask()"],
                         ids=["library, loose umask", "as the CLI starts"])
def test_duckdb_spills_into_an_owner_only_folder(tmp_path, start):
    db = tmp_path / "data" / "access.duckdb"
    db.parent.mkdir(mode=0o700)
    done = subprocess.run([sys.executable, "-c", SPILL.format(start=start), str(db)], cwd=REPO, env=_env(),
                          capture_output=True, text=True, timeout=300, preexec_fn=_loose_umask)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    spill_dir = str(db) + ".next.tmp"
    spilled = [p for p in seen if p.startswith(spill_dir + os.sep)]
    assert spilled, f"DuckDB did not spill: {sorted(seen)}"
    assert seen[spill_dir] == 0o700  # whatever the umask, the spill files sit in a folder only the owner can enter
    if start:
        assert {p: oct(m) for p, m in seen.items() if m & 0o077} == {}


def test_the_dashboard_and_an_upload_write_owner_only_files(tmp_path):
    db = tmp_path / "data" / "access.duckdb"
    log = _log(tmp_path / "logs" / "field_log.csv")
    script = textwrap.dedent(f"""
        import os
        from pathlib import Path
        from dashboard import uploads
        assert os.umask(0o077) == 0o077, "importing the dashboard sets an owner-only umask"
        results, error = uploads.load_upload("log.csv", Path({str(log)!r}).read_bytes())
        assert error is None and results[0].status == "loaded", (error, results)
    """)
    with _Watcher(tmp_path) as watcher:
        done = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=_env(ACCESS_DB=str(db)),
                              capture_output=True, text=True, timeout=300, preexec_fn=_loose_umask)
    assert done.returncode == 0, done.stderr
    assert any(p.endswith(".wal") for p in watcher.seen), sorted(watcher.seen)
    assert {p: m for p, m in watcher.readable_by_others().items() if not p.startswith(str(tmp_path / "logs"))} == {}


def test_python_m_dashboard_sets_the_umask_before_streamlit_starts(monkeypatch):
    import dashboard.__main__ as entry

    seen: list[int] = []

    def fake_streamlit_main() -> None:
        current = os.umask(0o022)
        os.umask(current)
        seen.append(current)

    monkeypatch.setattr("streamlit.web.cli.main", fake_streamlit_main)
    monkeypatch.setattr(entry.warmup, "start", lambda: None)
    before = os.umask(0o022)
    try:
        assert entry.main([]) == 0
    finally:
        os.umask(before)
    assert seen == [0o077]


# ------------------------------------------------------------------------------------- 3. bombs

SHEET_HEAD = ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
              'spreadsheetml/2006/main"><sheetData>')


def _cells(values: list[str]) -> str:
    return "<row>" + "".join(f'<c t="inlineStr"><is><t>{v}</t></is></c>' for v in values) + "</row>"


def xlsx_bomb(path: Path, inflated: int = 300 * 1024 * 1024) -> Path:
    """A valid workbook (fixed content) whose one sheet inflates to ``inflated`` bytes from about 1 MB."""
    parts = {
        "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.'
        'org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-'
        'package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName='
        '"/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+'
        'xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.worksheet+xml"/></Types>',
        "_rels/.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.'
        'org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.'
        'org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships"><sheets><sheet name="Log" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
        'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
        'openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
        '</Relationships>',
    }
    block = (_cells(["2025-03-05", "YEM", "Col. Mohammed Idris", "Granted"]) * 1000).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, text in parts.items():
            zf.writestr(name, text)
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            fh.write((SHEET_HEAD + _cells(["date", "country", "counterpart", "outcome"])).encode())
            written = 0
            while written < inflated:
                fh.write(block)
                written += len(block)
            fh.write(b"</sheetData></worksheet>")
    return path


def shapefile_bomb(path: Path, inflated: int = 300 * 1024 * 1024) -> Path:
    """A zipped 'shapefile' whose .shp inflates to ``inflated`` bytes of zeros."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        with zf.open("AFG_adm1.shp", "w", force_zip64=True) as fh:
            chunk = bytes(1 << 20)
            for _ in range(inflated >> 20):
                fh.write(chunk)
        zf.writestr("AFG_adm1.dbf", b"\x03" + bytes(31))
        zf.writestr("AFG_adm1.shx", bytes(100))
    return path


def understate_sizes(path: Path) -> Path:
    """Rewrite every size in the zip's headers as 1 KB: an archive that lies about what it holds."""
    data = bytearray(path.read_bytes())
    for sig, offset in ((b"PK\x01\x02", 24), (b"PK\x03\x04", 22)):
        start = 0
        while (at := data.find(sig, start)) != -1:
            size = struct.unpack_from("<I", data, at + offset)[0]
            if size > 1 << 20 and size != 0xFFFFFFFF:
                struct.pack_into("<I", data, at + offset, 1024)
            start = at + 4
    path.write_bytes(bytes(data))
    return path


@pytest.fixture
def built_db(tmp_path: Path) -> Path:
    db = tmp_path / "data" / "access.duckdb"
    log = _log(tmp_path / "logs" / "field_log.csv")
    assert main(["load", str(log), "--db", str(db), "--quiet"]) == 0
    return db


def _no_parsing(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record any attempt to open a workbook or a boundary file (none may happen for a refused file)."""
    import geopandas
    import python_calamine

    opened: list[str] = []

    def refuse(*args: object, **kw: object) -> None:
        opened.append(str(args[0]) if args else "?")
        raise RuntimeError("parsed")

    monkeypatch.setattr(python_calamine.CalamineWorkbook, "from_path", refuse)
    # (every module that imports the class shares it: patching the class covers the feeds' readers too)
    monkeypatch.setattr(geopandas, "read_file", refuse)
    return opened


@pytest.mark.parametrize("lie", [False, True], ids=["honest sizes", "sizes understated"])
def test_an_xlsx_that_inflates_to_300_mb_is_refused_before_it_is_parsed(tmp_path, monkeypatch, capsys, built_db, lie):
    bomb = xlsx_bomb(tmp_path / "logs" / "huge_log.xlsx")
    if lie:
        understate_sizes(bomb)
    assert bomb.stat().st_size < 3 * 1024 * 1024
    before = built_db.read_bytes()
    opened = _no_parsing(monkeypatch)
    capsys.readouterr()
    assert main(["load", str(bomb), "--db", str(built_db), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert opened == []
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("FAILED  huge_log.xlsx: "), err
    assert "MB" in lines[0] and "Split the workbook" in lines[0] and "ACCESS_UNPACKED_MAX_" in lines[0], err
    assert built_db.read_bytes() == before
    # inspect reads workbooks too: the same refusal, one line, exit 1.
    assert main(["inspect", str(bomb)]) == 1
    assert "Split the workbook" in capsys.readouterr().err and opened == []


def test_the_command_line_refuses_an_xlsx_bomb_with_one_line_and_exit_1(tmp_path, built_db):
    bomb = xlsx_bomb(tmp_path / "logs" / "huge_log.xlsx")
    before = built_db.read_bytes()
    done = subprocess.run([sys.executable, "-m", "etl", "load", str(bomb), "--db", str(built_db), "--quiet"],
                          cwd=REPO, env=_env(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    problem = [line for line in done.stderr.splitlines() if line.startswith("FAILED")]
    assert len(problem) == 1 and "huge_log.xlsx" in problem[0] and "unpack" in problem[0], done.stderr
    assert built_db.read_bytes() == before


@pytest.mark.parametrize("lie", [False, True], ids=["honest sizes", "sizes understated"])
def test_a_zipped_shapefile_bomb_is_refused_before_it_is_read(tmp_path, monkeypatch, capsys, built_db, lie):
    bomb = shapefile_bomb(tmp_path / "AFG_adm1.zip")
    if lie:
        understate_sizes(bomb)
    before = built_db.read_bytes()
    opened = _no_parsing(monkeypatch)
    capsys.readouterr()
    assert main(["boundaries", str(bomb), "--db", str(built_db)]) == 1
    err = capsys.readouterr().err
    assert opened == []
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: AFG_adm1.zip: ") and "ACCESS_UNPACKED_MAX_" in lines[0], err
    assert built_db.read_bytes() == before


def test_an_ordinary_workbook_and_zipped_shapefile_pass_the_check(tmp_path):
    from etl.store.archives import check_archive

    small = tmp_path / "small.zip"
    with zipfile.ZipFile(small, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a.shp", os.urandom(200_000))
        zf.writestr("notes.txt", "hello " * 50_000)  # very compressible but small: no ratio alarm
    check_archive(small, Settings())  # no error
    workbook = tmp_path / "log.xlsx"
    with zipfile.ZipFile(workbook, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/worksheets/sheet1.xml", SHEET_HEAD + "".join(
            _cells([f"E-{i}", f"2025-{i % 12 + 1:02d}-{i % 28 + 1:02d}", "YEM", "Granted"]) for i in range(20_000)))
    check_archive(workbook, Settings())
    check_archive(write_csv(tmp_path / "log.csv", [row()]), Settings())  # not a zip: nothing to check


def test_an_upload_over_the_size_limit_is_refused_with_a_clear_message(tmp_path, monkeypatch):
    import tomllib

    from dashboard import uploads

    db = tmp_path / "data" / "access.duckdb"
    _use(monkeypatch, db, None)
    monkeypatch.setenv("ACCESS_UPLOAD_MAX_MB", "1")
    get_settings.cache_clear()
    results, error = uploads.load_upload("big.csv", b"x" * (1024 * 1024 + 1))
    assert results == [] and error is not None
    assert "big.csv" in error and "1 MB" in error and "python -m etl load" in error
    assert not db.exists()
    # Streamlit refuses larger files before the app sees them; the two limits agree by default.
    config = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["maxUploadSize"] == Settings.model_fields["upload_max_mb"].default
