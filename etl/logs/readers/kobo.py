"""KoboToolbox / ODK export conventions, recognised in any file format (CSV, XLSX, JSON).

- metadata columns every form gets (``_uuid``, ``_submission_time``...): never read;
- select-multiple questions expanded into ``question/option`` 0/1 columns: the ticked options
  become the labels of the multi-valued cell (:func:`is_bool_column`, :func:`option_label`);
- a geopoint in one cell (``"12.85 44.98 0 5"``) or as ``[lat, lon]`` (:func:`is_geopoint_column`);
- select-multiple answers written as ``name_a name_b`` in one cell (:func:`split_kobo_cell`).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from etl.logs.columns import MULTI_SEPARATORS

# Columns KoboToolbox / ODK add to every form: kept out of the "unmatched" list, never read.
# `_submission_time` is when the phone sent the form, not when the engagement happened (often days
# later), so it is not taken as the engagement date; a mapping file can say otherwise.
KOBO_MARKERS = {"_uuid", "_submission_time", "formhub/uuid", "__version__", "meta/instanceid", "_xform_id_string"}
KOBO_META = KOBO_MARKERS | {
    "_id", "_submitted_by", "_validation_status", "_notes", "_status", "_tags", "_index", "_parent_index",
    "_parent_table_name", "_attachments", "_media_all_received", "_total_media", "_media_count", "_version_",
    "meta/instancename", "meta/rootuuid", "meta/deprecatedid", "meta/audit", "start", "end", "today", "deviceid",
    "subscriberid", "simserial", "phonenumber", "username", "audit",
}
GEOPOINT_NAMES = {"gps", "geopoint", "gps_location", "gps_coordinates", "coordinates", "geolocation", "gps_point",
                  "location_gps", "position", "geo", "coords", "gps_position", "point"}
GPS_PART = re.compile(r"^(.+)_(latitude|longitude|altitude|precision)$")
# "lat lon [alt [precision]]" as Kobo writes a geopoint, or "[lat, lon]" as its API writes _geolocation.
_GEOPOINT_VALUE = re.compile(r"^(-?\d+(\.\d+)?)( -?\d+(\.\d+)?){1,3}$|^\[\s*-?\d+(\.\d+)?\s*,\s*-?\d+(\.\d+)?\s*\]$")
_GEOPOINT_LOOSE = re.compile(r"^-?\d+(\.\d+)?\s*[,; ]\s*-?\d+(\.\d+)?(\s+-?\d+(\.\d+)?){0,2}$")
TRUE_WORDS = ("1", "1.0", "true", "yes", "y", "x", "oui", "vrai")
BOOL_WORDS = set(TRUE_WORDS) | {"0", "false", "no", "n", "non", "faux", "1.0", "0.0"}


def is_bool_column(values: list[str]) -> bool:
    return all(v.lower() in BOOL_WORDS for v in values if v)


def is_geopoint_column(values: list[str], named: bool) -> bool:
    filled = [v for v in values if v]
    if not filled:
        return named
    pattern = _GEOPOINT_LOOSE if named else _GEOPOINT_VALUE
    return all(pattern.match(v) or _GEOPOINT_VALUE.match(v) for v in filled)


def option_label(header: str) -> str:
    """The option part of 'question/option', as a label: Kobo names lose their underscores."""
    return header.rsplit("/", 1)[-1].replace("_", " ").strip()



def split_kobo_cell(cell: str, vocab_lookup: Callable[[str | None], str | None]) -> list[str]:
    """Labels of a multi-valued cell; Kobo writes select-multiple answers as 'name_a name_b'."""
    labels = [x.strip() for x in MULTI_SEPARATORS.split(cell) if x.strip()]
    if len(labels) == 1:
        tokens = labels[0].split()
        if len(tokens) > 1 and all(re.fullmatch(r"[\w.-]+", t) for t in tokens) and (
                any("_" in t for t in tokens) or all(vocab_lookup(t) for t in tokens)):
            return [t.replace("_", " ") for t in tokens]
    return labels
