"""The mirror file of counterpart decisions: written after each decision, read back into a rebuilt database.

Every decision is mirrored in a CSV file beside the database (setting ``decisions``), rewritten
whole and atomically (:func:`etl.store.files.write_atomic`) under the database's writer lock. A
database rebuilt from the logs imports it before any name is mapped
(:func:`etl.counterparts.decisions.import_mirror`). With a database key configured the file is
sealed with it (:mod:`etl.store.sealed`: the whole CSV as one AES-GCM record), since it names
counterparts; a plain mirror written before the key was set is still read, and sealed by the next
decision or by ``python -m etl encrypt``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Sequence
from dataclasses import astuple
from pathlib import Path

from etl.config import Settings, get_settings
from etl.counterparts.resolver import ACTIONS, COLUMNS, SPLIT_BY, Decision
from etl.errors import DatabaseError, InputFileError
from etl.store import sealed
from etl.store.crypto import HOW_TO_SET
from etl.store.files import write_atomic

MIRROR_SUFFIX = ".counterpart_decisions.csv"


def mirror_path(db_path: Path, settings: Settings | None = None) -> Path:
    """Where the decisions are mirrored: the ``decisions`` setting, else beside the database.

    >>> mirror_path(Path("data/access.duckdb"), Settings(decisions=None)).as_posix()
    'data/access.counterpart_decisions.csv'
    """
    settings = settings or get_settings()
    return settings.decisions or db_path.with_name(db_path.stem + MIRROR_SUFFIX)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    return str(value)


def write_mirror(path: Path, decisions: Sequence[Decision], settings: Settings | None = None) -> None:
    """Write every decision to the mirror file, atomically (a temp file renamed over the old one).

    A reader (or a crash) sees the old file or the new one, never half of one. Owner-only: the
    file names counterparts; sealed with the database key when one is configured.
    """
    text = io.StringIO(newline="")
    writer = csv.writer(text)
    writer.writerow(COLUMNS)
    for d in decisions:
        writer.writerow([_cell(v) for v in astuple(d)])
    data = text.getvalue().encode("utf-8")
    key = sealed.side_key(sealed.DECISIONS, settings)
    if key is not None:
        data = sealed.seal(data, key, sealed.DECISIONS) + b"\n"
    _replace(path, data)


def write_mirror_or_refuse(path: Path, decisions: Sequence[Decision], settings: Settings, outcome: str) -> None:
    """:func:`write_mirror` inside a write session: a file that cannot be written refuses the whole change, saying
    ``outcome`` ("nothing was changed") and how to fix it."""
    try:
        write_mirror(path, decisions, settings)
    except OSError as exc:
        raise DatabaseError(f"Cannot write the decisions file {path} ({exc.strerror or exc}); {outcome}.",
                            "Fix the folder's permissions, or set ACCESS_DECISIONS to another file.") from exc


def _replace(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, data)


def seal_mirror(path: Path, settings: Settings | None = None) -> bool:
    """Seal a plain mirror file with the configured key (``python -m etl encrypt`` does); whether it did.

    Call it with the database's writer lock held, like every other write of the mirror.
    """
    key = sealed.side_key(sealed.DECISIONS, settings)
    if key is None or not path.is_file():
        return False
    data = path.read_bytes()
    if sealed.is_sealed(data):
        return False
    _replace(path, sealed.seal(data, key, sealed.DECISIONS) + b"\n")
    return True


_MIRROR_FIX = ("Fix that cell (the columns are those of counterpart_decisions in docs/data-model.md), "
               "or move the file away to go on without the decisions it holds.")


def _timestamp(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _mirror_text(path: Path, settings: Settings | None) -> str:
    data = path.read_bytes()
    if sealed.is_sealed(data):
        key = sealed.side_key(sealed.DECISIONS, settings)
        if key is None:
            raise InputFileError(path, "is encrypted (it was written with a database key) and no key is configured.",
                                 HOW_TO_SET)
        try:
            data = sealed.unseal(data, key, sealed.DECISIONS)
        except sealed.SealError:
            raise InputFileError(path, "does not open with the configured database key (another key, or the file "
                                 "was damaged).", "Configure the key it was written with, or restore it from a "
                                 "backup, or move it away to go on without the decisions it holds.") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputFileError(path, "is not UTF-8 text.", "Restore it from a backup, or move it away.") from None


def read_mirror(path: Path, settings: Settings | None = None) -> list[Decision]:
    """The decisions in a mirror file (opened with the database key when it is sealed), checked cell by cell.

    :raises InputFileError: naming the file, row, column and value of the first problem found
        (and how many more there are); or saying the file is sealed and which key is missing.
    """
    text = _mirror_text(path, settings)
    reader = csv.DictReader(text.splitlines())
    header = tuple(reader.fieldnames or ())
    missing = [c for c in COLUMNS if c not in header]
    extra = [c for c in header if c not in COLUMNS]
    if missing or extra:
        problem = "; ".join(part for part in (f"columns missing: {', '.join(missing)}" if missing else "",
                                              f"unknown columns: {', '.join(extra)}" if extra else "") if part)
        raise InputFileError(path, f"is not a counterpart decisions file ({problem}).", _MIRROR_FIX, row=1)
    problems: list[InputFileError] = []
    out: list[Decision] = []
    seen: set[int] = set()
    for number, rec in enumerate(reader, start=2):
        def bad(column: str, problem: str, _n: int = number, _rec: dict[str, str] = rec) -> None:
            problems.append(InputFileError(path, problem, _MIRROR_FIX, row=_n, column=column,
                                           value=_rec.get(column)))

        v: dict[str, str | None] = {c: (rec.get(c) or "").strip() or None for c in COLUMNS}
        raw_id = v["decision_id"] or ""
        decision_id = int(raw_id) if raw_id.isdigit() else None
        if decision_id is None or decision_id in seen:
            bad("decision_id", f"'{v['decision_id'] or ''}' is not a new whole number.")
        action = v["action"]
        if action not in ACTIONS:
            bad("action", f"'{action or ''}' is not one of {', '.join(ACTIONS)}.")
        for column in ("iso3", "counterpart_id_a", "decided_by", "decided_at", "active"):
            if v[column] is None:
                bad(column, "is empty.")
        if action in ("merge", "keep_apart") and v["counterpart_id_b"] is None:
            bad("counterpart_id_b", f"is empty, but a {action} needs two counterparts.")
        if action == "split" and (v["split_by"] not in SPLIT_BY or v["alias"] is None or v["result_id"] is None):
            bad("split_by", f"a split needs split_by ({' or '.join(SPLIT_BY)}), alias and result_id.")
        if action == "merge" and v["result_id"] is None:
            bad("result_id", "is empty, but a merge needs the counterpart it kept.")
        active = (v["active"] or "").lower()
        if v["active"] is not None and active not in ("true", "false"):
            bad("active", f"'{v['active']}' is not true or false.")
        stamps: dict[str, dt.datetime | None] = {}
        for column in ("decided_at", "undone_at"):
            cell = v[column]
            try:
                stamps[column] = _timestamp(cell) if cell else None
            except ValueError:
                bad(column, f"'{v[column]}' is not a date and time such as 2025-03-05T14:30:00+00:00.")
        if v["prior_state"] is not None:
            try:
                json.loads(v["prior_state"])
            except ValueError:
                bad("prior_state", "is not valid JSON.")
        if problems or decision_id is None:
            continue
        seen.add(decision_id)
        out.append(Decision(
            decision_id, str(action), str(v["iso3"]).upper(), str(v["counterpart_id_a"]), v["name_key_a"],
            v["counterpart_id_b"], v["name_key_b"], v["split_by"], v["alias"], v["result_id"], v["reason"],
            str(v["decided_by"]), stamps["decided_at"] or dt.datetime.now(dt.UTC), active == "true",
            v["undone_by"], stamps["undone_at"], v["prior_state"]))
    if problems:
        first = problems[0]
        more = f" ({len(problems) - 1} more problem(s) in the file)" if len(problems) > 1 else ""
        raise InputFileError(path, first.problem + more, _MIRROR_FIX, row=first.row, column=first.column,
                             value=first.value)
    return out
