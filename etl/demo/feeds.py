"""Synthetic aid-worker incident feeds for the demo, in the public feeds' own file formats.

The dashboard shows security incidents beside the negotiation data (trends, map, a
counterpart's profile). The demo would leave those views empty, so :func:`write_incident_feeds`
writes what a data manager would download and load next to the field logs:

- ``demo_awsd_incidents.csv``: the Aid Worker Security Database's current export format (the
  same 44 columns and HXL hashtag row, ISO2 country codes, labels in AWSD's words), about one
  incident per 150 engagements (at least 40, at most 20,000);
- ``demo_insecurity_insight_incidents.xlsx`` (mixed-format runs only, i.e. up to 200,000
  rows): Insecurity Insight's aid-worker KIKA workbook format, re-reporting about a fifth of the
  AWSD incidents a day apart with the same figures (the loader marks them as cross-source
  duplicates) plus a few incidents of its own.

Every value is made up; only the formats, the vocabularies and the kinds of dirt follow the
publishers' files. The incidents themselves come from :mod:`etl.demo.incidents`.

The expected load results go into the demo manifest under ``incident_feeds`` (see
:func:`write_incident_feeds`), so tests can check the loaded ``incidents`` table exactly.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections import Counter
from pathlib import Path
from typing import Any

from etl.demo.conflict import CONFLICT_FILES
from etl.demo.incidents import (
    FIRST_ID,
    _add_dirt,
    _Builder,
    _details,
    _Incident,
    _pick,
    incident_count,
)
from etl.demo.model import World
from etl.demo.writers import save_workbook

AWSD_FILE = "demo_awsd_incidents.csv"
II_FILE = "demo_insecurity_insight_incidents.xlsx"
FEED_FILES = (AWSD_FILE, II_FILE, *CONFLICT_FILES)  # with the conflict-event feeds (etl.demo.conflict)

II_DUPLICATE_SHARE = 0.20  # of the eligible AWSD incidents, re-reported by Insecurity Insight
II_OWN_SHARE = 0.05  # of all AWSD incidents: Insecurity Insight incidents AWSD does not have

# The AWSD export's header and HXL hashtag row (its format, not its data).
AWSD_HEADER = (
    "Incident ID", "Year", "Month", "Day", "Country Code", "Country", "Region", "District", "City", "UN", "INGO",
    "ICRC", "NRCS and IFRC", "NNGO", "Other", "Nationals killed", "Nationals wounded", "Nationals kidnapped",
    "Nationals detained", "Total nationals", "Internationals killed", "Internationals wounded",
    "Internationals kidnapped", "Internationals detained", "Total internationals", "Total killed",
    "Total wounded", "Total kidnapped", "Total detained", "Total affected", "Gender Male", "Gender Female",
    "Gender Unknown", "Means of attack", "Attack context", "Location", "Latitude", "Longitude", "Motive",
    "Actor type", "Actor name", "Details", "Verified", "Source")
AWSD_HXL = (
    "#event+id", "#date+year", "#date+month", "#date+day", "#country+code", "#country+name+i_en",
    "#adm1+name+i_en", "#adm2+name+i_en", "#adm3+name+i_en", "#affected+UN", "#affected+INGO", "#affected+ICRC",
    "#affected+IFRC", "#affected+NGO", "#affected+other", "#affected+killed+national",
    "#affected+injured+national", "#affected+kidnapped+national", "#affected+detained+national",
    "#affected+total+national", "#affected+killed+international", "#affected+injured+international",
    "#affected+kidnapped+international", "#affected+detained+international", "#affected+total+international",
    "#affected+total+killed", "#affected+total+injured", "#affected+total+kidnapped",
    "#affected+total+detained", "#affected+total", "#affected+total+m", "#affected+total+f",
    "#affected+total+i", "#event+means+i_en", "#event+type+i_en", "#loc+type+i_en", "#geo+lat", "#geo+lon",
    "#x_event_motive", "#group+type+i_en", "#group+name+i_en", "#description+i_en", "", "")
# Insecurity Insight's KIKA workbook: header (with its duplicate names) and HXL row.
II_HEADER = (
    "Date", "Time Precision", "Country", "Country ISO", "Admin 1", "Event Description", "Latitude", "Longitude",
    "Geo Precision", "Location of Incident", "Actor", "Actor Name", "Weapon Carried/Used",
    "Organisation Affected", "Programme Focus", "Aid Workers Killed", "Aid Workers Injured",
    "Aid Workers Kidnapped", "Aid Workers Arrested", "Known Kidnapping or Arrest Outcome",
    "Aid Workers Killed in Captivity", "International Aid Workers Killed",
    "International Aid Workers Killed in Captivity", "National Aid Workers Killed",
    "National Aid Workers Killed in Captivity", "Female Aid Workers Killed", "Female Aid Workers Killed in Captivity",
    "Male Aid Workers Killed", "Male Aid Workers Killed in Captivity", "Aid Workers Injured",
    "International Aid Workers Injured", "National Aid Workers Injured", "Female Aid Workers Injured",
    "Male Aid Workers Injured", "Aid Workers Kidnapped", "International Aid Workers Kidnapped",
    "National Aid Workers Kidnapped", "Female Aid Workers Kidnapped", "Male Aid Workers Kidnapped",
    "Aid Workers Arrested", "International Aid Workers Arrested", "National Aid Workers Arrested",
    "Female Aid Workers Arrested", "Male Aid Workers Arrested", "SiND Event ID")
II_HXL = ("#date +occurred", "", "#country", "#country_ISO", "#adm1", "", "#geo +lac", "#geo +lon", "", "#loc",
          "#group +perp ", "#group +perp +name", "#weapon", "#org", "#sector", "#affected +killed",
          "#affected +injured", "#affected +kidnapped", "#affected +arrested", *([""] * 25), "#event +id")
II_FIRST_ID = 700_001

# AWSD writes a few countries by their long names.
AWSD_COUNTRY_NAMES = {"SYR": "Syrian Arab Republic", "COD": "DR Congo", "PSE": "Occupied Palestinian Territories"}

MOTIVES = (("Unknown", 0.42), ("Incidental", 0.22), ("Political", 0.18), ("Economic", 0.14), ("Disputed", 0.04))
SOURCES = (("Official Report", 0.36), ("Focal Point", 0.32), ("Media", 0.18), ("ACLED", 0.14))
ORG_COLUMNS = ("UN", "INGO", "ICRC", "NRCS and IFRC", "NNGO", "Other")
ORG_WEIGHTS = (0.22, 0.36, 0.02, 0.06, 0.32, 0.02)
II_ORGS = {"UN": "UN Agency", "INGO": "INGO", "ICRC": "Red Cross (Nat Soc)", "NRCS and IFRC": "Red Cross (Nat Soc)",
           "NNGO": "LNGO", "Other": "NGO"}
II_ACTORS = {"Host state": "Host or self-declared host government - military", "Host State":
             "Host or self-declared host government - military", "Police or paramilitary": "Police",
             "Foreign or coalition forces": "Foreign forces - military", "Criminal": "Criminal",
             "Unaffiliated": "Civilian", "Aid recipient": "Civilian", "Staff member": "Civilian"}
II_WEAPONS = {"Shooting": "Firearms", "Kidnapping": "Firearms", "Aerial bombardment": "Aerial bombing, missiles "
              "and shelling", "Shelling": "Aerial bombing, missiles and shelling", "Roadside IED": "IED",
              "Complex attack": "IED", "Bodily assault": "Fist and foot", "Kidnap-killing": "Firearms"}

# ------------------------------------------------------------------------------------- writing


_NEEDS_QUOTES = re.compile(r'[ ,"\r\n]')


def _csv_cell(value: object) -> str:
    """A cell as AWSD writes it: quoted only when it holds a space, comma, quote or line break."""
    if isinstance(value, int):
        return str(value)
    text = "" if value is None else str(value)
    if _NEEDS_QUOTES.search(text):
        return '"' + text.replace('"', '""') + '"'
    return text


def _awsd_row(inc: _Incident, iso2: str, country: str, region: str, end: dt.date,
              rnd: random.Random) -> list[object]:
    nat = {k: getattr(inc, k) - inc.internationals[k] for k in ("killed", "wounded", "kidnapped", "detained")}
    intl = inc.internationals
    total = inc.killed + inc.wounded + inc.kidnapped + inc.detained
    orgs = Counter(rnd.choices(ORG_COLUMNS, weights=ORG_WEIGHTS, k=total))
    female = sum(rnd.random() < 0.1 for _ in range(total))
    male = sum(rnd.random() < 0.7 for _ in range(total - female))
    recent = (end - inc.day).days < 90  # AWSD verifies with a lag: the latest months are pending
    lat = "" if inc.coordinates_blank else f"{inc.lat:.6f}"
    lon = "" if inc.coordinates_blank else f"{inc.lon:.6f}"
    return [
        inc.source_id, inc.day.year, "" if inc.month_blank else inc.day.month, "" if inc.day_blank else inc.day.day,
        iso2, country, "" if inc.region_blank else region, inc.district, inc.town,
        *(orgs.get(c, 0) for c in ORG_COLUMNS),
        nat["killed"], nat["wounded"], nat["kidnapped"], nat["detained"], sum(nat.values()),
        intl["killed"], intl["wounded"], intl["kidnapped"], intl["detained"], sum(intl.values()),
        inc.killed, inc.wounded, inc.kidnapped, inc.detained, total, male, female, total - male - female,
        inc.means, inc.context, inc.location, lat, lon, _pick(rnd, MOTIVES)[0], inc.actor_type, inc.actor_name,
        inc.details, "Pending" if recent else "Yes", inc.extras.get("source") or _pick(rnd, SOURCES)[0],
    ]


def _rejected_row(source_id: int, year: int) -> list[object]:
    """A row like AWSD's oldest ones: a year and a victim, but no country (the loader turns it away)."""
    cells: list[object] = [source_id, year, "", "", "", "", "", "", "", *([0] * 24)]
    for col in ("ICRC", "Nationals killed", "Total nationals", "Total killed", "Total affected", "Gender Unknown"):
        cells[AWSD_HEADER.index(col)] = 1
    return [*cells, "Unknown", "Unknown", "Unknown", "", "", "Unknown", "Unknown", "Unknown",
            "One aid worker killed; country not recorded (demo data).", "Archived", "Archived"]


def _iso2(iso3: str) -> str:
    from hdx.location.country import Country

    Country.set_use_live_default(False)
    return Country.get_iso2_from_iso3(iso3) or iso3


def _write_awsd(path: Path, world: World, incidents: list[_Incident], n_rejected: int,
                rnd: random.Random) -> dict[int, int]:
    """Write the AWSD export; returns the CSV record number (header = 1) of each rejected row's id."""
    codes = {c.iso3: (_iso2(c.iso3), AWSD_COUNTRY_NAMES.get(c.iso3, c.name)) for c in world.countries}
    # rejected rows spread through the file, each with the year of the incident before it
    slots = Counter(rnd.randrange(len(incidents)) for _ in range(n_rejected))
    lines = [",".join(_csv_cell(h) for h in AWSD_HEADER), ",".join(_csv_cell(h) for h in AWSD_HXL)]
    rejected: dict[int, int] = {}
    for k, inc in enumerate(incidents):
        iso2, country = codes[inc.iso3]
        lines.append(",".join(_csv_cell(v) for v in _awsd_row(inc, iso2, country, world.areas[inc.area].name, world.end, rnd)))
        for _ in range(slots.get(k, 0)):
            sid = FIRST_ID + len(incidents) + len(rejected)
            lines.append(",".join(_csv_cell(v) for v in _rejected_row(sid, inc.day.year)))
            rejected[sid] = len(lines)  # CSV record number: the header is 1, the HXL row 2
    path.write_text("\n".join(lines) + "\n", encoding="utf-8", newline="")
    return rejected


def _ii_rows(world: World, incidents: list[_Incident], rnd: random.Random) -> tuple[list[list[object]], list[int]]:
    """Insecurity Insight rows: re-reports of AWSD incidents (a day apart, same figures) and its own.

    Only AWSD incidents known to the day, with coordinates and a region, whose figures no other
    AWSD incident in the same area repeats within four days, are re-reported: each re-report
    then has exactly one AWSD match, and Insecurity Insight's own incidents are checked to have
    none, so the number of cross-source duplicates is known in advance.
    """
    def figures(i: _Incident) -> tuple[int, int, int, int]:
        return i.killed, i.wounded, i.kidnapped, i.detained

    by_key: dict[tuple[str, int, tuple[int, int, int, int]], list[dt.date]] = {}
    for inc in incidents:
        by_key.setdefault((inc.iso3, inc.area, figures(inc)), []).append(inc.day)

    def alone(inc: _Incident, days: int) -> bool:
        return sum(abs((d - inc.day).days) <= days for d in by_key[(inc.iso3, inc.area, figures(inc))]) == 1

    eligible = [i for i in incidents if not (i.day_blank or i.coordinates_blank or i.region_blank) and alone(i, 4)]
    picked = sorted(rnd.sample(eligible, round(len(eligible) * II_DUPLICATE_SHARE)), key=lambda i: i.source_id)
    latest = world.end
    reports: list[tuple[_Incident, dt.date, bool]] = []
    for inc in picked:
        shift = rnd.choice((-1, 0, 1)) if inc.day < latest else rnd.choice((-1, 0))
        reports.append((inc, inc.day + dt.timedelta(days=shift), True))
    own = 0
    attempts = 0
    target = round(len(incidents) * II_OWN_SHARE)
    while own < target and attempts < 50 * max(1, target):
        attempts += 1
        base = rnd.choice(incidents)
        # an incident of its own: another day and other figures in the same area
        day = base.day + dt.timedelta(days=rnd.randint(20, 60))
        if day > latest:
            continue
        inc = _Incident(day, base.iso3, base.area, base.town, base.district, base.lat, base.lon, base.means,
                        base.context, base.location, base.actor_type, base.actor_name, base.counterpart,
                        killed=base.killed, wounded=base.wounded + 1, kidnapped=base.kidnapped, detained=base.detained,
                        internationals=dict(base.internationals))
        inc.details = _details(inc, world)
        key = (inc.iso3, inc.area, figures(inc))
        if any(abs((d - day).days) <= 2 for d in by_key.get(key, [])):
            continue  # would look like an AWSD incident: not one of its own
        by_key.setdefault(key, []).append(day)
        reports.append((inc, day, False))
        own += 1
    reports.sort(key=lambda r: (r[1], r[0].iso3, r[0].town))
    rows: list[list[object]] = []
    duplicates: list[int] = []
    for k, (inc, day, is_dup) in enumerate(reports):
        intl = inc.internationals
        figs = (inc.killed, inc.wounded, inc.kidnapped, inc.detained)
        nat = [f - intl[key] for f, key in zip(figs, ("killed", "wounded", "kidnapped", "detained"), strict=True)]
        org = II_ORGS[rnd.choices(ORG_COLUMNS, weights=ORG_WEIGHTS)[0]]
        actor = II_ACTORS.get(inc.actor_type, "NSA" if inc.actor_type.startswith("Non-state") and
                              "Unknown" not in inc.actor_type else "No information")
        name = inc.counterpart or ("Criminal" if inc.actor_type == "Criminal" else "Unidentified armed actor")
        sid = II_FIRST_ID + k
        if is_dup:
            duplicates.append(sid)
        desc = f"{day:%B %Y}: {inc.details.removesuffix(' (demo data).')} (demo data)."
        row: list[object] = [
            dt.datetime(day.year, day.month, day.day), "Exact Date", world.countries[
                next(c.index for c in world.countries if c.iso3 == inc.iso3)].name, inc.iso3,
            world.areas[inc.area].name, desc, round(inc.lat, 6), round(inc.lon, 6), "(2) 25 km precision ",
            inc.location if inc.location in ("Road", "Home", "Project site") else "No information", actor, name,
            II_WEAPONS.get(inc.means.strip(), "No information on weapons"), org, "No information",
            *(float(f) for f in figs), "", 0.0,
            float(intl["killed"]), 0.0, float(nat[0]), 0.0, 0.0, 0.0, float(inc.killed), 0.0,
            float(inc.wounded), float(intl["wounded"]), float(nat[1]), 0.0, float(inc.wounded),
            float(inc.kidnapped), float(intl["kidnapped"]), float(nat[2]), 0.0, float(inc.kidnapped),
            float(inc.detained), float(intl["detained"]), float(nat[3]), 0.0, float(inc.detained),
            float(sid),
        ]
        rows.append(row)
    return rows, duplicates


def _write_ii(path: Path, rows: list[list[object]], fixed_time: dt.datetime) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    wb = Workbook(write_only=True)
    wb.properties.creator = "etl.demo"
    wb.properties.created = wb.properties.modified = fixed_time
    ws = wb.create_sheet(" Demo Aid Worker KIKA")  # the publisher's sheet names start with a space
    ws.append(list(II_HEADER))
    ws.append(list(II_HXL))
    for row in rows:
        cell = WriteOnlyCell(ws, value=row[0])
        cell.number_format = "yyyy-mm-dd"
        ws.append([cell, *row[1:]])
    ws.append(list(II_HXL))  # the publisher repeats the HXL row at the end
    notes = wb.create_sheet("MetaData & Notes")
    notes.append(["Synthetic incidents for the access-negotiation demo, in Insecurity Insight's KIKA format."])
    save_workbook(wb, path, fixed_time)


# ------------------------------------------------------------------------------------ manifest


def write_incident_feeds(out_dir: Path, world: World, rows: int, seed: int, mixed: bool,
                         fixed_time: dt.datetime) -> tuple[list[Path], dict[str, Any]]:
    """Write the demo's incident feed files; returns their paths and the manifest section.

    The section says what loading the files must give: rows per country and year (all loaded
    rows, and unique ones, ``duplicate_of IS NULL``), per admin-1 P-code, rows rejected and why,
    cross-source duplicates, dirt per kind, and the incidents named after demo counterparts.

    :param out_dir: the demo folder.
    :param world: the demo world (countries, areas, towns, counterparts, patterns).
    :param rows: demo engagements; sets the number of incidents (:func:`incident_count`).
    :param seed: random seed.
    :param mixed: whether this is a mixed-format run (the Insecurity Insight workbook only then).
    :param fixed_time: time stamped into the workbook, so files are byte-identical.
    """
    n = incident_count(rows)
    if n == 0:
        return [], {"files": [], "rows_written": 0}
    rnd = random.Random(seed * 7717 + 6)
    incidents = _Builder(world, seed).build(n)
    dirt = _add_dirt(incidents, rnd)
    n_rejected = max(1, round(n * 0.01))
    awsd_path = out_dir / AWSD_FILE
    rejected_rows = _write_awsd(awsd_path, world, incidents, n_rejected, rnd)
    dirt["missing_country"] = n_rejected
    paths = [awsd_path]

    def year_counts(items: list[tuple[str, int]]) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for (iso3, year), k in sorted(Counter(items).items()):
            out.setdefault(iso3, {})[str(year)] = k
        return out

    loaded = [(i.iso3, i.day.year) for i in incidents]  # AWSD first, Insecurity Insight added below
    # placed by their point, or by the region name when the point is blank; neither: no area
    pcodes = Counter(world.areas[i.area].pcode if not (i.coordinates_blank and i.region_blank) else None
                     for i in incidents)
    files: list[dict[str, Any]] = [{
        "file": AWSD_FILE, "feed": "awsd", "format": "csv", "encoding": "utf-8", "header_row": 1, "hxl_row": 2,
        "rows": n + n_rejected, "loaded": n, "rejected": n_rejected,
        "rejected_by_reason": {"missing_country": n_rejected},
        "rejected_rows": sorted(rejected_rows.values()),
        "first_id": FIRST_ID, "by_country_year": year_counts(loaded), "dirt": dirt,
    }]
    duplicates = 0
    unique = list(loaded)
    if mixed:
        ii_rows, dup_ids = _ii_rows(world, incidents, rnd)
        ii_path = out_dir / II_FILE
        _write_ii(ii_path, ii_rows, fixed_time)
        paths.append(ii_path)
        duplicates = len(dup_ids)
        dup_set = set(dup_ids)
        pcode_of = {(a.iso3, a.name): a.pcode for a in world.areas}
        ii_loaded: list[tuple[str, int]] = []
        for row in ii_rows:
            day, iso3, sid = row[0], str(row[3]), int(float(str(row[-1])))
            assert isinstance(day, dt.datetime)
            ii_loaded.append((iso3, day.year))
            if sid not in dup_set:
                unique.append((iso3, day.year))
            pcodes[pcode_of[(iso3, str(row[4]))]] += 1
        loaded += ii_loaded
        files.append({"file": II_FILE, "feed": "insecurity_insight", "format": "xlsx", "header_row": 1,
                      "hxl_row": 2, "rows": len(ii_rows), "loaded": len(ii_rows), "rejected": 0,
                      "rejected_by_reason": {}, "cross_source_duplicates": duplicates,
                      "duplicate_ids": dup_ids, "first_id": II_FIRST_ID,
                      "by_country_year": year_counts(ii_loaded)})
    named = Counter(i.counterpart for i in incidents if i.counterpart)
    off = world.offensive
    section: dict[str, Any] = {
        "files": files,
        "rows_written": sum(f["rows"] for f in files),
        "loaded": len(loaded),
        "rejected": n_rejected,
        "etl_reasons": {"missing_country": n_rejected},
        "duplicates": {"cross_source_match": duplicates} if duplicates else {},
        "by_country_year": year_counts(loaded),
        "unique_by_country_year": year_counts(unique),
        "by_admin1": {str(k): v for k, v in sorted(pcodes.items(), key=lambda kv: str(kv[0])) if k is not None},
        "unplaced": pcodes.get(None, 0),
        "date_precision": {"day": n - dirt.get("blank_day", 0) - dirt.get("blank_month_and_day", 0)
                           + (len(loaded) - n), "month": dirt.get("blank_day", 0),
                           "year": dirt.get("blank_month_and_day", 0)},
        "named_after_counterparts": sum(named.values()),
        "counterparts_named": dict(sorted(named.items())),
        "offensive_incidents": sum(i.offensive for i in incidents) if off else 0,
    }
    return paths, section
