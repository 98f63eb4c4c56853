"""Encryption at rest: a database built with a key opens only with that key and shows no name in clear.

Real files throughout: logs written as CSV, loaded by the real loader into DuckDB files in
tmp_path, read back through the CLI, the dashboard's read path and an AppTest page. Figures are
checked against the CSV files read with the stdlib, and encryption against the raw bytes on disk.
"""

from __future__ import annotations

import csv
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from pydantic import SecretStr

from etl.cli.crypto import plain_copy_path
from etl.cli.main import main
from etl.config import Settings, get_settings
from etl.errors import ConfigError, DatabaseError
from etl.intake import load_paths
from etl.store import crypto
from etl.store.db import connect_read, next_path, open_for_write
from tests.conftest import row, write_csv

KEY = "a long test key, with a quote ' and spaces"
OTHER_KEY = "another key entirely"

# What must never be readable from the file without the key: counterparts, intermediaries, places, notes.
SECRETS = ["Zephyrine Quillfeather", "Barnabus Okonkwo-Vance", "Idrissa Marchetti", "Wadi Qutrubah crossing",
           "promised to release the Quillfeather convoy", "handover of the staff list to Marchetti"]


def _log(folder: Path, name: str = "log.csv", first_id: int = 1) -> Path:
    rows = [
        row(engagement_id=f"E-{first_id}", request_id=f"R-{first_id}", counterpart="Col. Zephyrine Quillfeather",
            intermediary="Sheikh Barnabus Okonkwo-Vance", location="Wadi Qutrubah crossing",
            notes="He promised to release the Quillfeather convoy by Friday."),
        row(engagement_id=f"E-{first_id + 1}", request_id=f"R-{first_id + 1}", date="2025-03-09",
            counterpart="Maj. Idrissa Marchetti", outcome="Denied",
            notes="Refused until the handover of the staff list to Marchetti."),
        row(engagement_id=f"E-{first_id + 2}", request_id=f"R-{first_id + 2}", date="2025-03-12",
            counterpart="Maj. Idrissa Marchetti", outcome="Granted"),
    ]
    folder.mkdir(parents=True, exist_ok=True)
    return write_csv(folder / name, rows)


def _csv_rows(*paths: Path) -> int:
    """Engagements in the logs, counted with the csv module (not with the loader)."""
    total = 0
    for path in paths:
        with open(path, encoding="utf-8", newline="") as fh:
            total += sum(1 for _ in csv.DictReader(fh))
    return total


def _settings(db: Path, key: str | None) -> Settings:
    return Settings(db=db, db_key=SecretStr(key) if key else None)


def _build(db: Path, key: str | None, *logs: Path) -> None:
    results = load_paths(list(logs), db, _settings(db, key))
    assert all(r.ok for r in results), [r.message for r in results]


def _count(db: Path, key: str | None, table: str = "engagements") -> int:
    con = connect_read(db, settings=_settings(db, key))
    try:
        row_ = con.execute(f"SELECT count(*) FROM {table}").fetchone()
        return row_[0] if row_ else -1
    finally:
        con.close()


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _bytes_of_everything_beside(db: Path) -> bytes:
    """The database file and every file named after it (WAL, copy, lock), as they lie on disk."""
    return b"".join(p.read_bytes() for p in sorted(db.parent.iterdir()) if p.name.startswith(db.name) and p.is_file())


@pytest.fixture(autouse=True)
def no_outside_key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Neither the developer's ACCESS_* settings nor a real .streamlit/secrets.toml leak into these tests."""
    for name in [k for k in os.environ if k.startswith("ACCESS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setattr(crypto, "SECRETS_FILE", tmp_path / "no-secrets" / "secrets.toml")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _use(monkeypatch: pytest.MonkeyPatch, db: Path, key: str | None) -> None:
    """Point this process's settings (CLI, dashboard) at ``db``, with ``key`` as ACCESS_DB_KEY or none."""
    monkeypatch.setenv("ACCESS_DB", str(db))
    if key is None:
        monkeypatch.delenv("ACCESS_DB_KEY", raising=False)
    else:
        monkeypatch.setenv("ACCESS_DB_KEY", key)
    get_settings.cache_clear()


# ----------------------------------------------------------------------------------------- on disk


def test_an_encrypted_database_holds_no_logged_name_in_clear_and_is_owner_only(tmp_path: Path) -> None:
    log = _log(tmp_path / "logs")
    plain, secret = tmp_path / "plain" / "access.duckdb", tmp_path / "enc" / "access.duckdb"
    _build(plain, None, log)
    _build(secret, KEY, log)

    # The check can fail: the same log in a plain database is readable straight from the bytes.
    plain_bytes = _bytes_of_everything_beside(plain)
    assert [s for s in SECRETS if s.encode() in plain_bytes] == SECRETS
    secret_bytes = _bytes_of_everything_beside(secret)
    assert [s for s in SECRETS if s.encode() in secret_bytes] == []
    assert KEY.encode() not in secret_bytes
    # Nor any of the names with the case changed or in UTF-16.
    for s in SECRETS:
        for form in (s.lower().encode(), s.upper().encode(), s.encode("utf-16-le")):
            assert form not in secret_bytes, s

    # It is a real database all the same: with the key, every engagement is there.
    assert _count(secret, KEY) == _csv_rows(log) == 3
    for path in (secret, secret.with_name(secret.name + ".lock")):
        assert _mode(path) == 0o600, path
    assert _mode(secret.parent) == 0o700  # the folder the ETL created for it
    assert not next_path(secret).exists()


def test_a_load_into_an_encrypted_database_keeps_it_encrypted_and_the_copy_owner_only(tmp_path: Path) -> None:
    db = tmp_path / "access.duckdb"
    first, second = _log(tmp_path / "a"), _log(tmp_path / "b", "second.csv", first_id=10)
    _build(db, KEY, first)
    seen: dict[str, int] = {}
    with open_for_write(db, settings=_settings(db, KEY)) as con:
        seen["copy_mode"] = _mode(next_path(db))
        seen["encrypted"] = con.execute("SELECT encrypted FROM duckdb_databases() WHERE database_name = 'access'"
                                        ).fetchone()[0]
        seen["rows"] = con.execute("SELECT count(*) FROM engagements").fetchone()[0]
    assert seen == {"copy_mode": 0o600, "encrypted": True, "rows": 3}

    _build(db, KEY, second)
    assert _count(db, KEY) == _csv_rows(first, second) == 6
    assert not any(s.encode() in _bytes_of_everything_beside(db) for s in SECRETS)
    assert _mode(db) == 0o600


# ------------------------------------------------------------------------------- the wrong key


@pytest.mark.parametrize(("key", "expected"), [
    (None, "is encrypted and no database key is configured"),
    (OTHER_KEY, "The configured database key does not open"),
])
def test_without_its_key_nothing_opens_the_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str], key: str | None,
                                                    expected: str) -> None:
    db = tmp_path / "access.duckdb"
    log = _log(tmp_path / "logs")
    _build(db, KEY, log)
    before = db.read_bytes()

    # Plain DuckDB cannot read it either.
    with pytest.raises(duckdb.Error, match="encrypt"):
        duckdb.connect(str(db), read_only=True)

    # The CLI: one line, exit 1, what to set; never the key.
    _use(monkeypatch, db, key)
    assert main(["status", "--db", str(db)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and expected in err and "ACCESS_DB_KEY" in err, err
    assert len(err.strip().splitlines()) == 1
    assert KEY not in err and OTHER_KEY not in err

    # A load refuses too, and leaves the file exactly as it was.
    assert main(["load", str(_log(tmp_path / "more", "more.csv", first_id=20)), "--db", str(db), "--quiet"]) == 1
    assert expected in capsys.readouterr().err
    assert db.read_bytes() == before and not next_path(db).exists()

    # The dashboard's read path (dashboard.db.connection opens every connection through connect_read).
    with pytest.raises(DatabaseError, match=expected) as caught:
        connect_read(db)
    assert KEY not in str(caught.value) and OTHER_KEY not in str(caught.value)


def test_with_its_key_the_cli_reads_and_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "access.duckdb"
    first, second = _log(tmp_path / "a"), _log(tmp_path / "b", "second.csv", first_id=10)
    _use(monkeypatch, db, KEY)
    assert main(["load", str(first), "--db", str(db), "--quiet"]) == 0
    assert main(["load", str(second), "--db", str(db), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["status", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    engagements = next(line for line in out.splitlines() if line.strip().startswith("engagements"))
    assert engagements.split()[-1] == str(_csv_rows(first, second))
    assert KEY not in out


def test_a_key_configured_for_a_plain_database_says_to_encrypt_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "access.duckdb"
    _build(db, None, _log(tmp_path / "logs"))
    _use(monkeypatch, db, KEY)
    assert main(["status", "--db", str(db)]) == 1
    err = capsys.readouterr().err
    assert "is not encrypted" in err and "python -m etl encrypt" in err and KEY not in err


# ------------------------------------------------------------------------------ encrypt / decrypt


def _plain_counts(db: Path) -> dict[str, int]:
    """Rows per table, read with plain DuckDB (not through etl.store.db)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = [t for (t,) in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
        return {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
    finally:
        con.close()


def test_encrypt_converts_a_plain_database_with_the_same_rows_and_decrypt_converts_it_back(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "access.duckdb"
    log = _log(tmp_path / "logs")
    _build(db, None, log)
    counts = _plain_counts(db)
    assert counts["engagements"] == _csv_rows(log) and counts["rejected_rows"] == 0 and len(counts) > 10

    _use(monkeypatch, db, None)
    assert main(["encrypt", "--db", str(db)]) == 1  # no key configured: nothing to encrypt with
    assert "No database key is configured" in capsys.readouterr().err

    _use(monkeypatch, db, KEY)
    assert main(["encrypt", "--db", str(db)]) == 0
    assert "row counts checked" in capsys.readouterr().out
    assert not any(s.encode() in _bytes_of_everything_beside(db) for s in SECRETS)
    assert not plain_copy_path(db).exists() and not next_path(db).exists()
    assert _mode(db) == 0o600
    with pytest.raises(duckdb.Error):
        duckdb.connect(str(db), read_only=True)
    con = connect_read(db)
    try:
        assert {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in counts} == counts
    finally:
        con.close()

    assert main(["encrypt", "--db", str(db)]) == 1  # twice: already encrypted, nothing changed
    assert "already encrypted" in capsys.readouterr().err

    out = tmp_path / "copy" / "plain.duckdb"
    assert main(["decrypt", "--db", str(db), "--out", str(out)]) == 0
    assert _plain_counts(out) == counts and _mode(out) == 0o600
    before = out.read_bytes()
    assert main(["decrypt", "--db", str(db), "--out", str(out)]) == 1  # never overwrites
    assert "already exists" in capsys.readouterr().err and out.read_bytes() == before


def test_encrypt_keep_plain_keeps_the_plain_file_beside_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "access.duckdb"
    _build(db, None, _log(tmp_path / "logs"))
    counts = _plain_counts(db)
    _use(monkeypatch, db, KEY)
    assert main(["encrypt", "--db", str(db), "--keep-plain"]) == 0
    kept = plain_copy_path(db)
    assert _plain_counts(kept) == counts and _mode(kept) == 0o600
    assert _count(db, KEY) == counts["engagements"]


# ------------------------------------------------------------------------------------ the key


def test_the_key_never_prints_with_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCESS_DB_KEY", KEY)
    settings = Settings()
    assert settings.db_key is not None and settings.db_key.get_secret_value() == KEY
    assert KEY not in repr(settings) and KEY not in str(settings.model_dump())
    monkeypatch.setenv("ACCESS_DB_KEY", "  ")
    assert Settings().db_key is None  # blank means unset, not an empty key


def test_a_key_file_must_be_owner_only(tmp_path: Path) -> None:
    key_file = tmp_path / "db.key"
    key_file.write_text(KEY + "\n", encoding="utf-8")
    key_file.chmod(0o644)
    settings = Settings(db=tmp_path / "access.duckdb", db_key_file=key_file)
    with pytest.raises(ConfigError, match=r"other accounts .*\(mode 644\).*chmod 600") as caught:
        crypto.database_key(settings)
    assert KEY not in str(caught.value)
    key_file.chmod(0o600)
    key = crypto.database_key(settings)
    assert key is not None and key.get_secret_value() == KEY  # the first line, without its newline

    _build(settings.db, None, _log(tmp_path / "logs"))  # plain...
    with pytest.raises(DatabaseError, match="not encrypted"):
        connect_read(settings.db, settings=settings)  # ...so the key from the file is refused by it

    with pytest.raises(ConfigError, match="Both ACCESS_DB_KEY and ACCESS_DB_KEY_FILE"):
        crypto.database_key(Settings(db=settings.db, db_key=SecretStr(KEY), db_key_file=key_file))
    with pytest.raises(ConfigError, match="does not exist"):
        crypto.database_key(Settings(db=settings.db, db_key_file=tmp_path / "missing.key"))


def test_the_key_in_streamlit_secrets_is_used_when_no_other_is_set(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    secrets = tmp_path / ".streamlit" / "secrets.toml"
    secrets.parent.mkdir()
    secrets.write_text(f'db_key = "{KEY}"\n\n[auth]\nredirect_uri = "http://localhost:8501/oauth2callback"\n',
                       encoding="utf-8")
    secrets.chmod(0o600)
    monkeypatch.setattr(crypto, "SECRETS_FILE", secrets)
    db = tmp_path / "access.duckdb"
    _build(db, None, _log(tmp_path / "logs"))  # None: no key in the settings, so the secrets file gives it
    assert _count(db, KEY) == 3  # encrypted with the key from the secrets file
    with pytest.raises(DatabaseError, match="does not open"):
        connect_read(db, settings=_settings(db, OTHER_KEY))  # the setting wins over the secrets file

    secrets.chmod(0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        connect_read(db)
    secrets.write_text("db_key = \n", encoding="utf-8")
    secrets.chmod(0o600)
    with pytest.raises(ConfigError, match="not valid TOML"):
        connect_read(db)


def test_the_example_secrets_file_parses_and_sets_no_key() -> None:
    example = Path(crypto.REPO_ROOT / ".streamlit" / "secrets.toml.example")
    import tomllib

    assert "db_key" not in tomllib.loads(example.read_text(encoding="utf-8"))  # a published key would be no key
    assert "db_key" in example.read_text(encoding="utf-8")


# ---------------------------------------------------------------------------------- dashboard


def test_the_dashboard_opens_an_encrypted_database_only_with_its_key(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.dashboard.conftest import metrics, open_page, problems

    db = tmp_path / "access.duckdb"
    log = _log(tmp_path / "logs")
    _build(db, KEY, log)

    # Without the key first (a failed open is not cached; a successful one would be).
    _use(monkeypatch, db, None)
    at = open_page("trends")
    shown = "\n".join(e.value for e in at.error)
    assert "is encrypted and no database key is configured" in shown, problems(at)
    assert not at.exception and not metrics(at)
    assert not any(s in shown for s in SECRETS)

    _use(monkeypatch, db, KEY)
    at = open_page("trends")
    assert not at.exception and not at.error, problems(at)
    assert metrics(at), "the Trends page shows its headline figures"
