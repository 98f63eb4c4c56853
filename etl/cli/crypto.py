"""``python -m etl encrypt`` and ``python -m etl decrypt``: turn an existing database into the other kind.

A database built before a key was configured stays plain, and once a key is configured nothing
opens it any more (on purpose: a half-encrypted setup must not pass silently). ``encrypt``
converts it: DuckDB copies every table, view, sequence and macro into a new file encrypted with
the configured key (``COPY FROM DATABASE``), the row counts of every table are compared, and only
then does the new file replace the old one, under the writer lock, with the same atomic rename as
a load. ``decrypt`` is the way back out (to hand a copy to another tool, or to change keys): it
writes a plain copy to a new file and never overwrites one.

Deleting the plain file does not wipe its blocks from the disk; the documentation says so.
"""

from __future__ import annotations

import argparse
import contextlib
import os
from collections.abc import Callable
from pathlib import Path

import duckdb
from pydantic import SecretStr

from etl.config import get_settings
from etl.errors import ConfigError, DatabaseError
from etl.store import outbox, warehouse
from etl.store.crypto import HOW_TO_SET, database_key, httpfs_extension
from etl.store.db import make_folder, next_path, spill_folder, sql_literal, wal_path, write_lock

TABLES = "SELECT table_name FROM duckdb_tables() WHERE database_name = ? AND NOT temporary ORDER BY table_name"


def plain_copy_path(db_path: Path) -> Path:
    """Where ``encrypt --keep-plain`` leaves the plain file: ``access.plain.duckdb`` beside ``access.duckdb``."""
    return db_path.with_name(f"{db_path.stem}.plain{db_path.suffix}")


def _engine(key: SecretStr | None) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    con.execute("SET enable_progress_bar = false")
    if key is not None:
        con.execute(f"LOAD {sql_literal(str(httpfs_extension()))}")
        con.execute("SET temp_file_encryption = true")
    return con


def _attach(con: duckdb.DuckDBPyConnection, path: Path, alias: str, key: SecretStr | None, read_only: bool) -> None:
    options = ["READ_ONLY"] if read_only else []
    if key is not None:
        options.append(f"ENCRYPTION_KEY {sql_literal(key.get_secret_value())}")
    con.execute(f"ATTACH {sql_literal(str(path))} AS {alias}" + (f" ({', '.join(options)})" if options else ""))


def _is_encrypted(path: Path) -> bool:
    """Whether DuckDB finds ``path`` encrypted (opening it with no key tells, without needing the key)."""
    con = duckdb.connect(":memory:")
    try:
        _attach(con, path, "probe", None, read_only=True)
    except duckdb.Error as exc:
        if "without a key" in str(exc):
            return True
        raise DatabaseError(f"Cannot open {path}: {str(exc).splitlines()[0]}",
                            "Check the file is a DuckDB database.") from None
    finally:
        con.close()
    return False


def _copy_database(src: Path, src_key: SecretStr | None, dst: Path, dst_key: SecretStr | None,
                   engine_key: SecretStr | None) -> dict[str, int]:
    """Copy everything in ``src`` into the new file ``dst``; the row count of every table, checked on both sides."""
    con = _engine(engine_key)
    spill = spill_folder(dst)  # owner-only, beside the new file (an in-memory engine would spill to ./.tmp)
    try:
        con.execute(f"SET temp_directory = {sql_literal(str(spill) if spill else '')}")
        _attach(con, src, "src", src_key, read_only=True)
        _attach(con, dst, "dst", dst_key, read_only=False)
        os.chmod(dst, 0o600)
        con.execute("COPY FROM DATABASE src TO dst")
        counts: dict[str, int] = {}
        for side in ("src", "dst"):
            tables = [t for (t,) in con.execute(TABLES, [side]).fetchall()]
            for table in tables:
                name = f'{side}.main."{table.replace(chr(34), chr(34) * 2)}"'
                row = con.execute(f"SELECT count(*) FROM {name}").fetchone()  # noqa: S608 - names from the catalog
                n = row[0] if row else 0
                if side == "src":
                    counts[table] = n
                elif counts.get(table) != n:
                    raise DatabaseError(f"The copy of {src} has {n:,} rows in {table} instead of {counts.get(table)}.",
                                        "Nothing was changed; check the disk is not full and try again.")
            if side == "dst" and set(tables) != set(counts):
                raise DatabaseError(f"The copy of {src} lacks tables {sorted(set(counts) - set(tables))}.",
                                    "Nothing was changed; check the disk is not full and try again.")
        con.execute("CHECKPOINT dst")
        con.execute("DETACH dst")
        con.execute("DETACH src")
    except duckdb.Error as exc:
        text = str(exc)
        for key in (src_key, dst_key):
            if key is not None:
                text = text.replace(key.get_secret_value(), "**********")
        raise DatabaseError(f"Cannot copy {src}: {text.splitlines()[0] if text else type(exc).__name__}",
                            "Nothing was changed; check the disk is not full.") from None
    finally:
        con.close()
        if spill is not None:
            with contextlib.suppress(OSError):
                spill.rmdir()  # DuckDB deleted its files; the folder goes too (left if not empty)
    return counts


def _fsync(path: Path) -> None:
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


def encrypt_database(db_path: Path, keep_plain: bool = False, timeout_s: float | None = None) -> dict[str, int]:
    """Replace the plain database ``db_path`` by an encrypted copy (configured key); its table row counts.

    The live file is replaced only after the copy checked out; readers keep the version they
    opened. With ``keep_plain`` the plain file is kept as :func:`plain_copy_path`.
    """
    settings = get_settings()
    key = database_key(settings)
    if key is None:
        raise ConfigError("No database key is configured, so there is nothing to encrypt with.",
                          "Set ACCESS_DB_KEY (or ACCESS_DB_KEY_FILE, or db_key in .streamlit/secrets.toml) first.")
    if not db_path.exists():
        raise DatabaseError(f"No database at {db_path}.",
                            "Nothing to encrypt: with the key set, `python -m etl load` creates it encrypted.")
    kept = plain_copy_path(db_path)
    if keep_plain and kept.exists():
        raise DatabaseError(f"{kept} already exists.", "Move it away first; it is never overwritten.")
    with write_lock(db_path, settings.lock_timeout_s if timeout_s is None else timeout_s):
        if _is_encrypted(db_path):
            if seal_side_files(db_path):  # e.g. an audit log left plain by a version before sealing
                return {}
            raise DatabaseError(f"{db_path} is already encrypted.",
                                "Nothing to do. (To change its key: `python -m etl decrypt --out NEW`, then "
                                "encrypt NEW with the new key.)")
        work = next_path(db_path)
        for stale in (work, wal_path(work)):
            stale.unlink(missing_ok=True)
        try:
            counts = _copy_database(db_path, None, work, key, key)
            _fsync(work)
        except BaseException:
            work.unlink(missing_ok=True)
            wal_path(work).unlink(missing_ok=True)
            raise
        if keep_plain:
            os.link(db_path, kept)  # fails rather than overwrite; same inode, so no second plain copy on disk
            os.chmod(kept, 0o600)
        os.replace(work, db_path)
        # The plain database's WAL (if a load was killed) would be replayed into the encrypted file.
        wal_path(db_path).unlink(missing_ok=True)
        seal_side_files(db_path)
    return counts


def seal_side_files(db_path: Path) -> list[Path]:
    """Seal the audit log, the decisions mirror and the outbox of ``db_path`` with the configured key; the files
    sealed (the outbox as one).

    Their plain versions were written before the key was set and name counterparts (etl/store/sealed.py).
    Call with the database's writer lock held (the mirror is written under it).
    """
    from etl.accounts import audit
    from etl.counterparts import mirror

    settings = audit.for_database(db_path, get_settings())
    done = []
    if audit.seal_file(settings):
        done.append(audit.audit_path(settings))
    mirror_file = mirror.mirror_path(db_path, settings)
    if mirror.seal_mirror(mirror_file, settings):
        done.append(mirror_file)
    if outbox.seal_entries(db_path, settings):  # the files kept for `sync` (etl/store/outbox.py)
        done.append(outbox.outbox_path(db_path))
    return done


def decrypt_database(db_path: Path, out: Path) -> dict[str, int]:
    """Write a plain copy of the encrypted ``db_path`` to the new file ``out``; its table row counts."""
    key = database_key()
    if out.exists():
        raise DatabaseError(f"{out} already exists.", "Name a new file: decrypt never overwrites one.")
    if not db_path.exists():
        raise DatabaseError(f"No database at {db_path}.", "Check --db.")
    if not _is_encrypted(db_path):
        raise DatabaseError(f"{db_path} is not encrypted.", "Copy the file itself if you need a plain copy.")
    if key is None:
        raise DatabaseError(f"{db_path} is encrypted and no database key is configured.", HOW_TO_SET)
    make_folder(out.parent)
    work = out.with_name(f".{out.name}.partial")
    for stale in (work, wal_path(work)):
        stale.unlink(missing_ok=True)
    try:
        counts = _copy_database(db_path, key, work, None, key)
        _fsync(work)
        os.link(work, out)  # atomic, and refuses to replace a file that appeared meanwhile
    except FileExistsError:
        raise DatabaseError(f"{out} already exists.", "Name a new file: decrypt never overwrites one.") from None
    finally:
        work.unlink(missing_ok=True)
        wal_path(work).unlink(missing_ok=True)
    return counts


def _summary(counts: dict[str, int]) -> str:
    return f"{len(counts)} tables, {sum(counts.values()):,} rows"


def _not_on_the_warehouse(command: str) -> None:
    """``encrypt`` and ``decrypt`` are about a database file and its key: refused when the warehouse is in use."""
    if warehouse.enabled(get_settings()):
        raise ConfigError(f"ACCESS_WAREHOUSE is set, and `{command}` works on a database file, not on the warehouse: "
                          "the warehouse's files are encrypted or not from `warehouse init` on "
                          "(ACCESS_WAREHOUSE_ENCRYPTED).",
                          "Unset ACCESS_WAREHOUSE to work on the database file; see docs/deployment.md, "
                          "\"Encryption at rest\".")


def cmd_encrypt(args: argparse.Namespace) -> int:
    _not_on_the_warehouse("encrypt")
    db = Path(args.db)
    counts = encrypt_database(db, keep_plain=args.keep_plain)
    if not counts:
        print(f"{db} was already encrypted; sealed the audit log and the decisions file beside it with its key.")
        return 0
    print(f"Encrypted {db} ({_summary(counts)}, row counts checked); the audit log and the decisions file beside "
          "it, if any, are sealed with the same key.")
    if args.keep_plain:
        print(f"The plain file is kept as {plain_copy_path(db)}: delete it once you no longer need it.")
    else:
        print("The plain file was deleted; its blocks may stay on the disk until overwritten (use disk encryption).")
    return 0


def cmd_decrypt(args: argparse.Namespace) -> int:
    _not_on_the_warehouse("decrypt")
    db, out = Path(args.db), Path(args.out)
    counts = decrypt_database(db, out)
    print(f"Wrote a plain copy of {db} to {out} ({_summary(counts)}, row counts checked). "
          "Anyone who can read it can read the logs: keep it safe, delete it when done.")
    return 0


def add_parsers(sub: argparse._SubParsersAction, add_db: Callable[[argparse.ArgumentParser], None]) -> None:
    """``encrypt`` and ``decrypt`` sub-commands for :mod:`etl.cli.main`."""
    p_enc = sub.add_parser("encrypt", help="encrypt a plain database with the configured key (ACCESS_DB_KEY)")
    p_enc.add_argument("--keep-plain", action="store_true",
                       help="keep the plain file as <db stem>.plain.duckdb (default: it is deleted)")
    add_db(p_enc)
    p_enc.set_defaults(func=cmd_encrypt)

    p_dec = sub.add_parser("decrypt", help="write a plain copy of an encrypted database to a new file")
    p_dec.add_argument("--out", required=True, metavar="PATH", help="the new plain file (never overwritten)")
    add_db(p_dec)
    p_dec.set_defaults(func=cmd_decrypt)
