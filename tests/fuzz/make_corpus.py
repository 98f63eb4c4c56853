"""Broken and hostile files for the loader, made with a fixed seed: the same files every time.

    python tests/fuzz/make_corpus.py OUT_FOLDER     # writes the corpus, prints how many files of each kind

Kinds: negotiation logs as CSV, XLSX, JSON and KoboToolbox exports (CSV, and the API's JSON
envelope), the demo's AWSD and Insecurity Insight feed files, each mutated (truncated at random
offsets, bytes flipped, NULs, BOMs, zip members corrupted or missing) and files crafted to hurt a
reader (a cell at XFD1048576, billions of declared strings, giant cells, 10,000 columns, deep or
invalid-Unicode JSON, numbers out of range, impossible dates, formula-looking cells, duplicate
headers, empty and header-only files, over-long names). The test (tests/fuzz/test_fuzz.py) makes
the named pipes, devices and folders itself. Nothing here is committed as data: the test builds
the corpus in a temporary folder.
"""

from __future__ import annotations

import csv
import io
import json
import random
import re
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

SEED = 20261203

HEADERS = ["engagement_id", "date", "organisation", "activity", "country", "admin1", "location", "latitude",
           "longitude", "counterpart", "counterpart_type", "outcome", "conditions", "obstacles", "people_reached",
           "notes"]
KOBO_HEADERS = ["start", "end", "today", "date", "country", "counterpart", "activity", "outcome", "obstacles",
                "obstacles/checkpoint_delay", "obstacles/illegal_taxation", "gps", "_gps_latitude",
                "_gps_longitude", "_id", "_uuid", "_submission_time", "__version__"]


def _base_rows(rnd: random.Random, n: int) -> list[list[str]]:
    rows = []
    for i in range(n):
        rows.append([f"FZ-{i}", f"2025-0{1 + i % 9}-{10 + i % 18:02d}", "Northstar Relief",
                     rnd.choice(["Delivery of goods", "Assessment", "Health services"]), "YEM", "Aden",
                     "Sheikh Othman", f"{12.8 + i / 1000:.4f}", f"{44.9 + i / 1000:.4f}",
                     rnd.choice(["Col. Mohammed Idris", "Sheikh Ali", "Capt. Saleh"]), "Army",
                     rnd.choice(["Granted", "Denied", "Granted with conditions"]), "armed escort",
                     "checkpoint delay", str(100 + i), "fuzz base row"])
    return rows


def _csv_bytes(header: list[str], rows: list[list[str]], delimiter: str = ",") -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


def _kobo_rows(n: int) -> list[list[str]]:
    return [["2025-03-01T08:00", "2025-03-01T09:00", "2025-03-01", f"2025-03-0{1 + i % 8}", "YEM",
             "Col. Mohammed Idris", "Delivery of goods", "Granted", "checkpoint_delay", "1", "0",
             "12.85 44.98 0 5", "12.85", "44.98", str(100 + i), f"uuid-{i}", "2025-03-02T10:00:00", "v1"]
            for i in range(n)]


# ---------------------------------------------------------------------------------- workbooks by hand

_CT = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
       'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships'
       '+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
       'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override '
       'PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
       'spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/'
       'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/><Override PartName="/xl/styles.xml" '
       'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>')
_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
         '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
         'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
_WB = ('<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
       '2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet '
       'name="Log" sheetId="1" r:id="rId1"/></sheets></workbook>')
_WB_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://'
            'schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
            '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'styles" Target="styles.xml"/></Relationships>')
# Style 1 is a date format: a number in a cell with s="1" is read as a date.
_STYLES = ('<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="http://schemas.openxmlformats.org/'
           'spreadsheetml/2006/main"><numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/></numFmts>'
           '<fonts count="1"><font/></fonts><fills count="1"><fill/></fills><borders count="1"><border/></borders>'
           '<cellStyleXfs count="1"><xf/></cellStyleXfs><cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="164" '
           'applyNumberFormat="1"/></cellXfs></styleSheet>')


def _col(n: int) -> str:
    out = ""
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def xlsx_members(rows: list[list[object]], extra: str = "", dimension: str | None = None) -> dict[str, bytes]:
    """The members of a one-sheet workbook; a cell given as ('raw', xml) is written as it is."""
    strings: dict[str, int] = {}
    body = []
    for i, row in enumerate(rows, 1):
        cells = []
        for j, v in enumerate(row, 1):
            ref = f"{_col(j)}{i}"
            if v is None:
                continue
            if isinstance(v, tuple):
                cells.append(v[1].replace("{ref}", ref))
            elif isinstance(v, int | float):
                cells.append(f'<c r="{ref}"><v>{v}</v></c>')
            else:
                k = strings.setdefault(str(v), len(strings))
                cells.append(f'<c r="{ref}" t="s"><v>{k}</v></c>')
        body.append(f'<row r="{i}">{"".join(cells)}</row>')
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    sheet = (f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
             f'spreadsheetml/2006/main">{dim}<sheetData>{"".join(body)}{extra}</sheetData></worksheet>')
    sst = (f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
           f'2006/main" count="{len(strings)}" uniqueCount="{len(strings)}">'
           + "".join(f"<si><t>{_esc(s)}</t></si>" for s in strings) + "</sst>")
    return {"[Content_Types].xml": _CT.encode(), "_rels/.rels": _RELS.encode(), "xl/workbook.xml": _WB.encode(),
            "xl/_rels/workbook.xml.rels": _WB_RELS.encode(), "xl/styles.xml": _STYLES.encode(),
            "xl/worksheets/sheet1.xml": sheet.encode(), "xl/sharedStrings.xml": sst.encode()}


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)), data,
                        compress_type=zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def _unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


# ---------------------------------------------------------------------------------- mutations


def _byte_mutations(rnd: random.Random, data: bytes) -> dict[str, bytes]:
    n = len(data)
    out = {f"trunc{k}": data[: rnd.randrange(1, max(n, 2))] for k in range(6)}
    for k in range(4):
        flipped = bytearray(data)
        for _ in range(max(1, n // 200)):
            flipped[rnd.randrange(n)] = rnd.randrange(256)
        out[f"flip{k}"] = bytes(flipped)
    at = rnd.randrange(n)
    out["nul"] = data[:at] + b"\x00" * 5 + data[at:]
    out["bom8"] = b"\xef\xbb\xbf" + data
    out["bom16"] = b"\xff\xfe" + data
    out["twice"] = data + data  # a second copy, header and all, after the first
    out["cr_only"] = data.replace(b"\r\n", b"\r").replace(b"\n", b"\r")
    return out


def _zip_mutations(rnd: random.Random, data: bytes) -> dict[str, bytes]:
    members = _unzip(data)
    out: dict[str, bytes] = {}
    for name in sorted(members):
        if name.endswith(".xml") and ("sheet" in name or "workbook" in name or "Strings" in name):
            short = re.sub(r"\W+", "_", name.rsplit("/", 1)[-1].removesuffix(".xml"))
            out[f"no_{short}"] = zip_bytes({k: v for k, v in members.items() if k != name})
            broken = bytearray(members[name])
            for _ in range(max(1, len(broken) // 100)):
                broken[rnd.randrange(len(broken))] = rnd.choice(b"<>&\"'\x00\xff")
            out[f"bad_{short}"] = zip_bytes({**members, name: bytes(broken)})
            out[f"cut_{short}"] = zip_bytes({**members, name: members[name][: len(members[name]) // 2]})
    # a central directory entry pointing past the end
    out["cd_cut"] = data[: len(data) - 10]
    return out


# ---------------------------------------------------------------------------------- crafted files


def _crafted_csv(rnd: random.Random) -> dict[str, bytes]:
    rows = _base_rows(rnd, 4)
    def with_cell(col: str, value: str) -> bytes:
        changed = [list(r) for r in rows]
        changed[1][HEADERS.index(col)] = value
        return _csv_bytes(HEADERS, changed)

    out = {
        "empty": b"", "header_only": _csv_bytes(HEADERS, []), "bom_header_only": b"\xef\xbb\xbf" + _csv_bytes(HEADERS, []),
        "only_nuls": b"\x00" * 4096, "one_newline": b"\n", "spaces": b"   \r\n  \r\n",
        "dup_headers": _csv_bytes(HEADERS + ["date", "counterpart", "country"],
                                  [r + ["2025-01-01", "Other", "SYR"] for r in rows]),
        "cols_10k": _csv_bytes(HEADERS + [f"extra{i}" for i in range(10_000)], [r + ["x"] * 10_000 for r in rows]),
        "giant_cell": with_cell("notes", "N" * 300_000),
        "giant_line_no_newline": b"date,counterpart," + b"x" * 3_000_000,
        "unbalanced_quote": _csv_bytes(HEADERS, rows).replace(b"Aden", b'"Aden', 1),
        "cr_only": _csv_bytes(HEADERS, rows).replace(b"\r\n", b"\r"),
        "latin1": _csv_bytes(HEADERS, rows).replace(b"Sheikh", "Sh\xe9ikh".encode("latin-1")),
        "bad_utf8": _csv_bytes(HEADERS, rows).replace(b"Sheikh", b"Sh\xc3\x28ikh\xed\xa0\x80"),
        "utf16_bom": "\ufeff".encode("utf-16-le") + _csv_bytes(HEADERS, rows).decode().encode("utf-16-le"),
        "utf16_nobom": _csv_bytes(HEADERS, rows).decode().encode("utf-16-be"),
        "utf32": _csv_bytes(HEADERS, rows).decode().encode("utf-32"),
        "semicolon": _csv_bytes(HEADERS, rows, ";"), "tabs": _csv_bytes(HEADERS, rows, "\t"),
        "binary_png": b"\x89PNG\r\n\x1a\n" + bytes(rnd.randrange(256) for _ in range(2000)),
        "zip_named_csv": zip_bytes(xlsx_members([HEADERS, *rows])),
        "html_error_page": b"<!DOCTYPE html><html><body>502 Bad Gateway</body></html>",
        "header_every_row": b"".join(_csv_bytes(HEADERS, [r]) for r in rows),
        "hxl_only": b"#date,#org,#activity,#country\r\n#date,#org,#activity,#country\r\n",
        "title_rows_20": b"Access log\r\n" * 20 + _csv_bytes(HEADERS, rows),
        "only_commas": b",,,,,,\r\n" * 50, "blank_lines_200k": b"\n" * 200_000 + _csv_bytes(HEADERS, rows),
        "newlines_in_quotes": _csv_bytes(HEADERS, [[c.replace(" ", "\n") for c in r] for r in rows]),
    }
    for label, col, value in [
        ("formula_eq", "counterpart", "=cmd|' /C calc'!A0"), ("formula_plus", "notes", "+HYPERLINK(\"x\")"),
        ("formula_at", "location", "@SUM(1+1)*cmd|' /C calc'!A0"), ("num_1e400", "people_reached", "1e400"),
        ("num_nan", "people_reached", "NaN"), ("num_inf", "people_reached", "-inf"),
        ("num_huge", "people_reached", "9" * 40), ("num_negzero", "people_reached", "-0"),
        ("num_hex", "people_reached", "0x1F"), ("num_thousands", "people_reached", "12 500"),
        ("num_nbsp", "people_reached", "12\u00a0500"), ("num_comma", "people_reached", "12,5"),
        ("lat_999", "latitude", "999"), ("lat_nan", "latitude", "nan"), ("lon_1e308", "longitude", "1e308"),
        ("date_zero", "date", "0000-00-00"), ("date_far", "date", "99999-01-01"), ("date_neg", "date", "-2025-01-01"),
        ("date_feb30", "date", "2025-02-30"), ("date_serial", "date", "45000"), ("date_serial_huge", "date", "9e15"),
        ("date_words", "date", "yesterday"), ("date_1900", "date", "1900-02-29"), ("date_year0", "date", "0/0/0"),
        ("ctrl_chars", "counterpart", "Col.\x01\x02\x1b[31m Idris"), ("rtl_override", "counterpart", "\u202eCol. X"),
        ("lone_surrogate_text", "notes", "\\ud800"), ("emoji", "counterpart", "Col. \U0001f600"),
        ("very_long_id", "engagement_id", "E" * 70_000), ("nul_in_cell", "notes", "a\x00b"),
        ("country_junk", "country", "'; DROP TABLE engagements; --"), ("country_long", "country", "Y" * 5000),
    ]:
        out[label] = with_cell(col, value)
    return out


def _crafted_json(rnd: random.Random) -> dict[str, bytes]:
    records = [dict(zip(HEADERS, r, strict=True)) for r in _base_rows(rnd, 3)]
    good = json.dumps(records).encode()
    def with_value(value_json: str) -> bytes:
        return good.replace(b'"100"', value_json.encode(), 1)

    return {
        "deep_array": b"[" * 100_000 + b"]" * 100_000, "deep_object": b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
        "deep_in_record": good.replace(b'"fuzz base row"', b"[" * 20_000 + b"]" * 20_000, 1),
        "lone_surrogate": good.replace(b"fuzz base row", b"fuzz \\ud800 row", 1),
        "lone_surrogate_key": good.replace(b'"notes"', b'"no\\udfffes"', 1),
        "bad_utf8": good.replace(b"fuzz base row", b"fuzz \xff\xfe row", 1),
        "utf16": good.decode().encode("utf-16"), "bom8": b"\xef\xbb\xbf" + good,
        "int_5000_digits": with_value("9" * 5000), "float_1e400": with_value("1e400"),
        "nan_literal": with_value("NaN"), "infinity_literal": with_value("-Infinity"),
        "scalar": b"42", "string": b'"hello"', "null": b"null", "empty_array": b"[]", "empty_object": b"{}",
        "array_of_arrays": json.dumps([HEADERS, *_base_rows(rnd, 2)]).encode(),
        "mixed_list": json.dumps([records[0], 1, "x", None]).encode(),
        "envelope_null": json.dumps({"count": 0, "results": None}).encode(),
        "envelope_scalars": json.dumps({"results": [1, 2, 3]}).encode(),
        "nested_values": json.dumps([{**records[0], "obstacles": {"a": [1, {"b": 2}]}, "date": ["2025-01-01"]}]).encode(),
        "dup_keys": good.replace(b'"date": "2025', b'"date": "x", "date": "2025', 1),
        "long_key": json.dumps([{**records[0], "k" * 100_000: "v"}]).encode(),
        "empty_key": json.dumps([{**records[0], "": "v"}]).encode(),
        "trailing_garbage": good + b"\x00garbage",
        "header_only_like": json.dumps([dict.fromkeys(HEADERS)]).encode(),
        "bool_values": json.dumps([{**records[0], "people_reached": True, "latitude": False}]).encode(),
        "many_empty_objects": json.dumps([{}] * 50_000).encode(),
        "kobo_meta_only": json.dumps({"results": [{"_id": 1, "_uuid": "u", "_submission_time": "2025"}]}).encode(),
    }


def _crafted_xlsx(rnd: random.Random) -> dict[str, bytes]:
    rows: list[list[object]] = [list(HEADERS), *_base_rows(rnd, 4)]
    def book(cells: list[list[object]] = rows, **kw: object) -> bytes:
        return zip_bytes(xlsx_members(cells, **kw))  # type: ignore[arg-type]

    def with_cell(col: str, value: object) -> bytes:
        changed = [list(r) for r in rows]
        changed[1][HEADERS.index(col)] = value
        return book(changed)

    far = '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    members = xlsx_members(rows)
    sst_lie = members["xl/sharedStrings.xml"].replace(b'uniqueCount="', b'uniqueCount="4000000000', 1)
    return {
        "ok_reference": book(), "dim_huge": book(dimension="A1:XFD1048576"), "cell_far": book(extra=far),
        "cell_far_single_quote": book(extra=far.replace('"', "'")),
        "cell_far_row_only": book(extra='<row r="1048576"><c t="inlineStr"><is><t>x</t></is></c></row>'),
        "cell_far_in_row1": book([[*rows[0], ("raw", '<c r="XFD900000" t="inlineStr"><is><t>x</t></is></c>')],
                                  *rows[1:]]),
        "row_beyond_excel": book(extra='<row r="99999999"><c r="A99999999"><v>1</v></c></row>'),
        "sst_count_lie": zip_bytes({**members, "xl/sharedStrings.xml": sst_lie}),
        "sst_index_out_of_range": book([[*rows[0]], [("raw", '<c r="{ref}" t="s"><v>999999</v></c>'), *rows[1][1:]]]),
        "giant_cell": with_cell("notes", "N" * 400_000),
        "cols_10k": book([[*rows[0], *[f"extra{i}" for i in range(10_000)]], *[[*r, *["x"] * 10_000] for r in rows[1:]]]),
        "formula_cells": with_cell("counterpart", ("raw", '<c r="{ref}"><f>CMD|\' /C calc\'!A0</f><v>0</v></c>')),
        "formula_text": with_cell("counterpart", "=HYPERLINK(\"http://x\",\"y\")"),
        "error_cell": with_cell("date", ("raw", '<c r="{ref}" t="e"><v>#REF!</v></c>')),
        "num_nan": with_cell("people_reached", ("raw", '<c r="{ref}"><v>NaN</v></c>')),
        "num_inf": with_cell("people_reached", ("raw", '<c r="{ref}"><v>INF</v></c>')),
        "num_1e400": with_cell("people_reached", ("raw", '<c r="{ref}"><v>1e400</v></c>')),
        "num_text_junk": with_cell("people_reached", ("raw", '<c r="{ref}"><v>abc</v></c>')),
        "date_serial_neg": with_cell("date", ("raw", '<c r="{ref}" s="1"><v>-5</v></c>')),
        "date_serial_huge": with_cell("date", ("raw", '<c r="{ref}" s="1"><v>99999999999</v></c>')),
        "date_serial_nan": with_cell("date", ("raw", '<c r="{ref}" s="1"><v>NaN</v></c>')),
        "date_serial_1e308": with_cell("date", ("raw", '<c r="{ref}" s="1"><v>1e308</v></c>')),
        "date_iso_bad": with_cell("date", ("raw", '<c r="{ref}" t="d"><v>0000-00-00T00:00:00</v></c>')),
        "bool_bad": with_cell("outcome", ("raw", '<c r="{ref}" t="b"><v>7</v></c>')),
        "style_missing": with_cell("date", ("raw", '<c r="{ref}" s="99"><v>45000</v></c>')),
        "header_only": book([list(HEADERS)]), "empty_sheet": book([]),
        "dup_headers": book([[*rows[0], "date", "country"], *[[*r, "2025-01-01", "SYR"] for r in rows[1:]]]),
        "bad_ref": with_cell("notes", ("raw", '<c r="!!"><v>1</v></c>')),
        "no_zip_at_all": b"PK\x03\x04" + bytes(rnd.randrange(256) for _ in range(3000)),
        "xml_entity_bomb": zip_bytes({**members, "xl/sharedStrings.xml": (
            b'<?xml version="1.0"?><!DOCTYPE s [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
            b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>'
            b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
            b"<si><t>&d;&d;&d;&d;</t></si></sst>")}),
    }


def _demo_seeds(folder: Path) -> dict[str, Path]:
    from etl.demo import write_demo_logs

    write_demo_logs(folder, rows=120, seed=5)
    wanted = {"demo_afg_access_log.xlsx": "demo_xlsx", "demo_bfa_access_log.csv": "demo_csv",
              "demo_irq_access_log.json": "demo_json", "demo_awsd_incidents.csv": "awsd_feed",
              "demo_insecurity_insight_incidents.xlsx": "ii_feed"}
    return {label: folder / name for name, label in wanted.items()}


def make_corpus(out: Path, seed: int = SEED) -> list[Path]:
    """Write the corpus into ``out`` (created); the files written, in a stable order."""
    rnd = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []

    def put(name: str, data: bytes) -> None:
        path = out / name
        path.write_bytes(data)
        files.append(path)

    seeds_dir = out.parent / (out.name + "_seeds")
    seeds = {label: (path.read_bytes(), path.suffix) for label, path in _demo_seeds(seeds_dir).items()}
    base = _base_rows(rnd, 6)
    seeds["log_csv"] = (_csv_bytes(HEADERS, base), ".csv")
    seeds["kobo_csv"] = (_csv_bytes(KOBO_HEADERS, _kobo_rows(5)), ".csv")
    kobo_records = [dict(zip(KOBO_HEADERS, r, strict=True)) for r in _kobo_rows(5)]
    seeds["kobo_json"] = (json.dumps({"count": 5, "next": None, "results": kobo_records}).encode(), ".json")
    seeds["log_xlsx"] = (zip_bytes(xlsx_members([list(HEADERS), *base])), ".xlsx")
    for label, (data, suffix) in sorted(seeds.items()):
        put(f"{label}_original{suffix}", data)
        for how, mutated in _byte_mutations(rnd, data).items():
            put(f"{label}_{how}{suffix}", mutated)
        if suffix == ".xlsx":
            for how, mutated in _zip_mutations(rnd, data).items():
                put(f"{label}_{how}{suffix}", mutated)
    makers: list[tuple[str, Callable[[random.Random], dict[str, bytes]]]] = [
        ("csv", _crafted_csv), ("json", _crafted_json), ("xlsx", _crafted_xlsx)]
    for suffix, maker in makers:
        for label, data in maker(rnd).items():
            put(f"crafted_{label}.{suffix}", data)
    # Names: as long as the file system allows (255 bytes), multi-byte, and characters that break formats.
    log = seeds["log_csv"][0]
    put("L" * 251 + ".csv", log)
    put("\u00e9" * 125 + ".csv", log)  # 250 bytes in UTF-8
    put("-dash {0} %s $(x) `y`.csv", log)
    put("name with\nnewline.csv", log)
    put("no_extension", log)
    put("wrong_extension.xlsx", log)
    put("UPPER.CSV", log)
    put("trailing space.csv ", log)
    return files


if __name__ == "__main__":
    made = make_corpus(Path(sys.argv[1]))
    kinds: dict[str, int] = {}
    for f in made:
        kinds[f.suffix.lower() or "(none)"] = kinds.get(f.suffix.lower() or "(none)", 0) + 1
    print(f"{len(made)} files:", ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
