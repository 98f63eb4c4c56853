"""Writing rendered rows to files, streamed: CSV, KoboToolbox-style JSON and XLSX, and saving
workbooks so that the same content always gives the same bytes.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

from etl.demo.model import Office


class _CsvWriter:
    def __init__(self, path: Path, office: Office) -> None:
        self.fh = path.open("w", encoding=office.encoding or "utf-8", newline="")
        self.writer = csv.writer(self.fh, lineterminator=office.lineterminator)
        self.writer.writerow([h for h, _ in office.columns])

    def write(self, cols: list[Any]) -> None:
        self.writer.writerows(zip(*cols, strict=True))

    def close(self) -> None:
        self.fh.close()


class _JsonWriter:
    def __init__(self, path: Path, office: Office) -> None:
        self.fh = path.open("w", encoding="utf-8", newline="\n")
        self.keys = [h for h, _ in office.columns]
        self.first = True
        self.fh.write("[")

    def write(self, cols: list[Any]) -> None:
        keys = self.keys
        parts = []
        for row in zip(*cols, strict=True):
            obj = {k: (None if v is None else str(v)) for k, v in zip(keys, row, strict=True)}
            parts.append(("\n" if self.first else ",\n") + json.dumps(obj, ensure_ascii=False))
            self.first = False
        self.fh.write("".join(parts))

    def close(self) -> None:
        self.fh.write("\n]\n")
        self.fh.close()


class _XlsxWriter:
    def __init__(self, path: Path, office: Office, country_name: str, fixed_time: datetime) -> None:
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell

        self.path = path
        self.fixed_time = fixed_time
        self.wb = Workbook(write_only=True)
        self.wb.properties.creator = "etl.demo"
        self.wb.properties.created = fixed_time
        self.wb.properties.modified = fixed_time
        self.ws = self.wb.create_sheet("Engagements" if office.title_rows else "Log")
        self._cell = WriteOnlyCell
        self.date_cols = {i for i, (_, c) in enumerate(office.columns)
                          if c in ("date", "request_date", "resolution_date", "follow_up_due")}
        self.date_format = office.xlsx_date_format
        if office.title_rows:
            self.ws.append([f"Humanitarian access log - {country_name} office (demo data)"])
            self.ws.append([])
        self.ws.append([h for h, _ in office.columns])

    def write(self, cols: list[Any]) -> None:
        date_cols = self.date_cols
        for row in zip(*cols, strict=True):
            out = list(row)
            for j in date_cols:
                v = out[j]
                if isinstance(v, date):
                    cell = self._cell(self.ws, value=v)
                    cell.number_format = self.date_format
                    out[j] = cell
            self.ws.append(out)

    def close(self) -> None:
        save_workbook(self.wb, self.path, self.fixed_time)


def save_workbook(wb: Any, path: Path, fixed_time: datetime) -> None:
    """Save an openpyxl workbook so that the same content always gives the same bytes.

    openpyxl stamps the save time into the zip entries and docProps/core.xml: both are fixed.
    """
    buf = io.BytesIO()
    wb.save(buf)
    stamp = fixed_time.strftime("%Y-%m-%dT%H:%M:%SZ")
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                              rb"\g<1>" + stamp.encode() + rb"\g<2>", data)
            zi = zipfile.ZipInfo(info.filename, date_time=(2020, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            dst.writestr(zi, data)


# ------------------------------------------------------------------------------------- driver
