"""Settings and codes every stage of the demo shares: where the files go, sizes and shares, the
vocabulary codes by index, and the kinds of dirty row with the rejection reason each should get.
"""

from __future__ import annotations

from pathlib import Path

from etl import vocab as V

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_BOUNDARIES = REPO_ROOT / "data" / "boundaries" / "admin1.geojson"
MANIFEST_NAME = "_manifest.json"  # starts with "_": folder loads skip it
FILE_PREFIX = "demo_"
# Above this many rows every office writes a streamed ISO-dated CSV.
MIXED_FORMATS_MAX_ROWS = 200_000
CHUNK_ROWS = 50_000
DIRTY_SHARE = 0.025
VARIANT_SHARE = 0.30
HOSTILE_NOTE_SHARE = 1 / 200
YEARS = 3

# Every dirty row has exactly one of these defects; the shares are equal (to within one row).
DEFECT_KINDS: tuple[str, ...] = (
    "bad_date",  # impossible ("31/02/2025"), unparseable ("sometime in May") or blank date
    "future_date",  # the engagement date moved 400-700 days past end_date (a typo in the year)
    "unknown_outcome",  # "maybe", "see notes"...
    "missing_counterpart",
    "missing_activity",
    "swapped_coordinates",  # latitude and longitude exchanged (the swapped point is in no demo country)
    "latitude_out_of_range",  # e.g. 123.45
    "coordinates_in_other_country",  # a point inside another demo country, over 1 degree from this one
    "unknown_obstacle",  # "bad vibes at gate" added to the obstacles
    "negative_people_targeted",
    "non_numeric_people_targeted",  # "many"
    "unknown_country",  # "Atlantis"
)

# The rejection reason (etl.logs.validate.REASONS) each defect should get: one reason per dirty row.
ETL_REASON = {
    "bad_date.impossible": "impossible_date", "bad_date.unparseable": "bad_date",
    "bad_date.blank": "missing_date", "future_date": "future_date", "unknown_outcome": "unknown_outcome",
    "missing_counterpart": "missing_counterpart",
    "missing_activity": "missing_activity", "swapped_coordinates": "swapped_coordinates",
    "latitude_out_of_range": "coordinate_out_of_range", "coordinates_in_other_country": "outside_country",
    "unknown_obstacle": "unknown_obstacle", "negative_people_targeted": "negative_number",
    "non_numeric_people_targeted": "bad_number", "unknown_country": "unknown_country",
}

O_GRANTED, O_COND, O_PARTIAL, O_DENIED, O_DEFERRED, O_NORESP = range(6)
TYPE_CODES = tuple(V.COUNTERPART_TYPES.codes)
T_STATE, T_POLICE, T_NSAG, T_DFA, T_LOCAL, T_COMMUNITY, T_MILITIA, T_OTHER = range(8)
LEVEL_CODES = ("frontline", "mid", "senior")
ACTIVITY_CODES = tuple(V.ACTIVITIES.codes)
CHANNEL_CODES = ("in_person", "phone", "intermediary", "written")
KIND_CODES = ("fixed", "partial", "mobile", "border_crossing", "road_gate", "roadblock")
