"""CSV files as offices save them: windows-1252, UTF-16/UTF-32 either way round, CR-only lines, long fields.

Each file is written byte by byte; what must be stored is written by hand; files go through
etl.intake into a real DuckDB file.
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import duckdb
import pytest

from etl.cli.main import main
from etl.logs.readers import detect_encoding
from tests.conftest import BASE_ROW, realdata

HEADER = ",".join(BASE_ROW)


def _line(notes: str, engagement_id: str, **changes: str) -> str:
    values = dict(BASE_ROW, engagement_id=engagement_id, people_targeted="1200", **changes)
    values["notes"] = notes
    return ",".join(f'"{v}"' if "," in v else v for v in values.values())


def _text(*lines: str, newline: str = "\r\n") -> str:
    return newline.join([HEADER, *lines]) + newline


# The notes of two rows as the office typed them, and the same text in each encoding's bytes (by hand).
NOTES = ("Bakhit’s convoy – “escort” €5…", "Réunion à l’école")
CP1252 = (b"Bakhit\x92s convoy \x96 \x93escort\x94 \x805\x85", b"R\xe9union \xe0 l\x92\xe9cole")


def _cp1252_file() -> bytes:
    head = _text(newline="\r\n").encode("ascii")
    rows = [_line("@", "E-1").encode("ascii").replace(b"@", CP1252[0]),
            _line("@", "E-2").encode("ascii").replace(b"@", CP1252[1])]
    return head + b"\r\n".join(rows) + b"\r\n"


def _wide(codec: str, bom: bytes) -> bytes:
    return bom + _text(_line(NOTES[0], "E-1"), _line(NOTES[1], "E-2")).encode(codec)


FILES = {  # name -> (bytes, encoding recorded)
    "excel_windows.csv": (_cp1252_file(), "windows-1252"),
    "utf16le_bom.csv": (_wide("utf-16-le", b"\xff\xfe"), "utf-16-le"),  # Excel's "Unicode Text"
    "utf16le.csv": (_wide("utf-16-le", b""), "utf-16-le"),
    "utf16be_bom.csv": (_wide("utf-16-be", b"\xfe\xff"), "utf-16-be"),
    "utf16be.csv": (_wide("utf-16-be", b""), "utf-16-be"),
    "utf32le_bom.csv": (_wide("utf-32-le", b"\xff\xfe\x00\x00"), "utf-32-le"),
    "utf32be.csv": (_wide("utf-32-be", b""), "utf-32-be"),
    "utf8_bom.csv": (_wide("utf-8", b"\xef\xbb\xbf"), "utf-8"),
}


@pytest.mark.parametrize("name", FILES)
def test_each_encoding_is_read_and_named(tmp_path, load, q, name):
    data, encoding = FILES[name]
    path = tmp_path / name
    path.write_bytes(data)
    [r] = load(path)
    assert (r.status, r.rows_loaded, r.rows_rejected) == ("loaded", 2, 0), r.message
    assert q("SELECT source_engagement_id, notes, source_row FROM engagements ORDER BY 1") == [
        ("E-1", NOTES[0], 2), ("E-2", NOTES[1], 3)]
    assert q("SELECT encoding FROM loads") == [(encoding,)]


def test_inspect_names_the_encoding(tmp_path, capsys):
    path = tmp_path / "be.csv"
    path.write_bytes(FILES["utf16be.csv"][0])
    assert main(["inspect", str(path)]) == 0
    assert "Format: csv, encoding utf-16-be" in capsys.readouterr().out


def test_cr_only_lines_from_excel_for_mac_are_lines(tmp_path, load, q):
    path = tmp_path / "mac.csv"
    path.write_bytes(_text(_line("first", "E-1"), _line("second", "E-2", outcome="maybe"), _line("third", "E-3"),
                           newline="\r").encode("utf-8"))
    assert b"\n" not in path.read_bytes()
    [r] = load(path)
    assert (r.rows_loaded, r.rows_rejected) == (2, 1)
    assert q("SELECT source_engagement_id, notes FROM engagements ORDER BY 1") == [("E-1", "first"), ("E-3", "third")]
    assert q("SELECT row_number, reason_code FROM rejected_rows") == [(3, "unknown_outcome")]


def test_cr_only_windows_1252(tmp_path, load, q):
    path = tmp_path / "mac1252.csv"
    path.write_bytes(_cp1252_file().replace(b"\r\n", b"\r"))
    [r] = load(path)
    assert r.rows_loaded == 2, r.message
    assert q("SELECT notes FROM engagements ORDER BY source_engagement_id") == [(NOTES[0],), (NOTES[1],)]


def test_a_field_of_200_000_characters_loads(tmp_path, load, q):
    # Python's default limit (131,072 characters); a library read earlier in the process may have raised it.
    limit = csv.field_size_limit(131_072)
    long_note = "x" * 199_999 + "é"
    for name, encoding in (("long_utf8.csv", "utf-8"), ("long_utf16.csv", "utf-16-le")):
        path = tmp_path / name
        path.write_bytes(_text(_line(long_note, f"L-{name}")).encode(encoding))
        [r] = load(path)
        assert r.rows_loaded == 1, r.message
        csv.field_size_limit(131_072)
    csv.field_size_limit(limit)
    assert q("SELECT length(notes), right(notes, 2) FROM engagements") == [(200_000, "xé")] * 2


def test_utf8_mixed_with_windows_1252_reads_both(tmp_path, load, q):
    """Rows pasted from a UTF-8 source into a windows-1252 file: each part read as what it is."""
    path = tmp_path / "mixed.csv"
    # 'Terracería, Łódź' in UTF-8: C5 81 is 'Ł' (0x81 alone is no windows-1252 character).
    utf8 = b"Terracer\xc3\xada \xc5\x81\xc3\xb3d\xc5\xba"
    path.write_bytes(_cp1252_file() + _line("@", "E-3").encode("ascii").replace(b"@", utf8) + b"\r\n")
    [r] = load(path)
    assert r.rows_loaded == 3, r.message
    assert q("SELECT notes FROM engagements ORDER BY source_engagement_id") == [
        (NOTES[0],), (NOTES[1],), ("Terracería Łódź",)]
    assert q("SELECT encoding FROM loads") == [("utf-8+windows-1252",)]
    assert any("mixed with windows-1252" in note for note in r.source.notes)


def test_the_real_awsd_snapshot_mixes_utf8_into_windows_1252():
    path = realdata("awsd", "awsd_security_incidents_1997-2016_snapshot2016-10-03.csv")
    encoding = detect_encoding(path)
    text = path.read_text(encoding=encoding)
    assert encoding == "utf-8+windows-1252"
    assert "Terracería" in text and "Révolutionaires" in text and "Ã" not in text


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# Arabic typed on Windows (windows-1256): "مرحبا بكم" written as its bytes, by hand.
ARABIC_1256 = b"\xe3\xd1\xcd\xc8\xc7 \xc8\xdf\xe3"
ARABIC = "مرحبا بكم"


def test_an_encoding_that_cannot_be_told_is_refused_with_the_fix_and_changes_nothing(tmp_path, settings, load, q):
    good = tmp_path / "good.csv"
    good.write_bytes(FILES["utf8_bom.csv"][0])
    load(good)
    before = _sha(settings.db)
    path = tmp_path / "arabic.csv"
    data = _text().encode("ascii") + _line("@", "A-1").encode("ascii").replace(b"@", ARABIC_1256) + b"\r\n"
    path.write_bytes(data)
    [r] = load(path)
    assert r.status == "failed"
    offset = data.index(b"\xe3")  # where the first byte that is not UTF-8 is, counted on the raw bytes
    assert f"arabic.csv: could not tell the encoding of the file: byte 0xE3 at offset {offset:,} is not UTF-8" \
        in r.message
    assert "--encoding cp1256" in r.message
    assert _sha(settings.db) == before

    # Told the encoding, the loader reads it.
    assert main(["load", str(path), "--db", str(settings.db), "--encoding", "cp1256", "--quiet"]) == 0
    assert q("SELECT notes FROM engagements WHERE source_engagement_id = 'A-1'") == [(ARABIC,)]
    assert q("SELECT encoding FROM loads WHERE file_name = 'arabic.csv'") == [("windows-1256",)]


def test_a_byte_windows_1252_leaves_unassigned_is_refused(tmp_path, load):
    path = tmp_path / "dos.csv"
    data = _text().encode("ascii") + _line("@", "D-1").encode("ascii").replace(b"@", b"caf\xe9 \x81") + b"\r\n"
    path.write_bytes(data)
    [r] = load(path)
    offset = data.index(b"\xe9")
    assert r.status == "failed"
    assert (f"byte 0xE9 at offset {offset:,} is not UTF-8, and byte 0x81 at offset {offset + 2:,} is not "
            "windows-1252 (Excel on Windows) either") in r.message


def test_a_wrong_or_unknown_encoding_is_a_message_not_a_traceback(tmp_path, capsys):
    path = tmp_path / "excel_windows.csv"
    path.write_bytes(FILES["excel_windows.csv"][0])
    db = tmp_path / "a.duckdb"
    with pytest.raises(SystemExit) as exc:
        main(["load", str(path), "--db", str(db), "--encoding", "klingon"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "argument --encoding: 'klingon' is not a text encoding Python knows" in err and "cp1252" in err
    assert "Traceback" not in err

    assert main(["load", str(path), "--db", str(db), "--encoding", "utf-8", "--quiet"]) == 1
    offset = path.read_bytes().index(b"\x92")
    err = capsys.readouterr().err
    assert f"excel_windows.csv: the file is not utf-8 text: byte 0x92 at offset {offset:,} cannot be read as utf-8" \
        in err
    assert not db.exists() or duckdb.connect(str(db), read_only=True).execute(
        "SELECT count(*) FROM loads").fetchone() == (0,)
