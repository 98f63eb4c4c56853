"""Cell helpers every publisher's row normaliser uses: text, numbers, countries, coordinates,
perpetrators, the OCHA access category, the row hash and the stable incident id.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from etl.counterparts.names import stable_id
from etl.feeds.base import RowProblem
from etl.feeds.cells import Columns, cell_text, read_count
from etl.geo.countries import country_iso3
from etl.logs.numbers import coordinate_value
from etl.vocab import label_key

# Places the feeds write as a country but which are part of one (AWSD lists them separately in
# its early years), and codes hdx-python-country does not know. Kashmir is disputed between two
# countries and is deliberately left out: such rows are rejected as an unknown country.
COUNTRY_ALIASES = {"chechnya": "RUS", "kosovo": "XKX", "xk": "XKX", "xkx": "XKX"}

# label_key(raw type) -> code. Anything else non-blank is 'other' (the raw text is kept).
_PERPETRATOR_KEYS = {
    "nsa": "non_state_armed_group", "nsag": "non_state_armed_group", "armed group": "non_state_armed_group",
    "host state": "host_state", "state unknown": "host_state", "police": "host_state",
    "police or paramilitary": "host_state", "host or self declared host government military": "host_state",
    "host government": "host_state", "government": "host_state", "military": "host_state",
    "foreign or coalition forces": "foreign_forces", "foreign forces military": "foreign_forces",
    "foreign forces": "foreign_forces",
    # Insecurity Insight's current labels (health care, education, food security, protection files)
    "host government military": "host_state", "host government police": "host_state",
    "host government self declared host government": "host_state",
    "armed forces of government self declared government": "host_state",
    "host or self declared host government police": "host_state",
    "criminal": "criminal", "criminals": "criminal",
    "civilian": "civilian", "civilians": "civilian", "protestors": "civilian", "protesters": "civilian", "unaffiliated": "civilian", "aid recipient": "civilian",
    "staff member": "civilian", "community members": "civilian",
    "unknown": "unknown", "no information": "unknown", "not known": "unknown", "unidentified": "unknown",
}
# Names that say nobody is named: no perpetrator name, so nothing to link to a counterpart.
_PLACEHOLDER_NAMES = {"unknown", "not applicable", "n a", "na", "none", "no information", "unidentified",
                      "unidentified armed actor", "unidentified perpetrator", "unidentified perpetrators"}




def take_count(cols: Columns, cells: Sequence[object], key: str, row: int, problems: list[RowProblem],
               target: str | None = None) -> int | None:
    """The count in column ``key`` (None when blank or absent), read by :func:`~etl.feeds.cells.read_count`;
    a value no count can be adds the row's problem (bad_number, negative_number, not_whole_number,
    number_too_large) and the rest of the file loads. ``target`` is what the column is recorded as.
    """
    text = cols.get(cells, key)
    if target is not None and key in cols.pos:
        cols.used[cols.name(key)] = target
    value, problem = read_count(text)
    if problem:
        problems.append(RowProblem(row, cols.name(key), text, problem))
    return value


def read_country(cols: Columns, cells: Sequence[object], code_key: str | None, name_key_: str, row: int,
             problems: list[RowProblem]) -> tuple[str | None, str | None]:
    """(iso3, country as written): from the code column when given, else the name."""
    code = cols.get(cells, code_key) if code_key else ""
    name = cols.get(cells, name_key_)
    cols.used[cols.name(name_key_)] = "country"
    for raw, key in ((code, code_key), (name, name_key_)):
        if not raw or key is None:
            continue
        cols.used[cols.name(key)] = "iso3" if key == code_key else "country"
        iso3 = COUNTRY_ALIASES.get(label_key(raw)) or country_iso3(raw)
        if iso3:
            return iso3, name or None
    if not code and not name:
        problems.append(RowProblem(row, cols.name(name_key_), None, "missing_country"))
    else:
        shown = name or code
        detail = " (a disputed area; no single country)" if label_key(shown) == "kashmir" else ""
        problems.append(RowProblem(row, cols.name(name_key_ if name else code_key or name_key_), shown,
                                   "unknown_country", detail))
    return None, name or None


def read_coordinates(lat_text: str, lon_text: str) -> tuple[float | None, float | None, str | None]:
    """(lat, lon, problem). A bad geocode gives (None, None, code): the incident still loads.

    Decimal degrees as the logs read them (:func:`etl.logs.numbers.coordinate_value`).
    """
    if not lat_text and not lon_text:
        return None, None, None
    if not lat_text or not lon_text:
        return None, None, "half_coordinate"
    lat, lon = coordinate_value(lat_text), coordinate_value(lon_text)
    if lat is None or lon is None:
        return None, None, "bad_coordinate"
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None, None, "coordinate_out_of_range"
    if lat == 0 and lon == 0:
        return None, None, "null_island"
    if lat == lon:
        return None, None, "same_lat_lon"
    return lat, lon, None


def perpetrator_type(raw: str | None) -> str:
    """Small perpetrator vocabulary for the feeds' many spellings.

    >>> perpetrator_type("Non-state armed group: Global ")
    'non_state_armed_group'
    >>> perpetrator_type("Host or self-declared host government - military")
    'host_state'
    >>> perpetrator_type("")
    'unknown'
    """
    key = label_key(raw or "")
    if not key:
        return "unknown"
    if key.startswith("non state armed group"):
        return "non_state_armed_group"
    return _PERPETRATOR_KEYS.get(key, "other")


def perpetrator_name(raw: str | None) -> str | None:
    text = cell_text(raw)
    return None if label_key(text) in _PLACEHOLDER_NAMES or not text else text


_HOSTILITY_WORDS = {"aerial", "bombardment", "shelling", "missile", "missiles", "airstrike", "airstrikes",
                    "artillery", "mortar", "rocket", "rockets"}
_ORDNANCE_WORDS = {"ied", "ieds", "landmine", "landmines", "uxo", "bombing", "explosive", "explosives",
                   "grenade", "mine"}


def access_category(means: str | None, context: str | None) -> str:
    """OCHA access-constraint category of an attack, from its means (and context for crossfire).

    Shelling and air strikes are hostilities; mines, IEDs and set explosives are explosive
    ordnance (a complex attack mixes explosives with gunfire, so it stays an attack on people);
    a shooting in combat or crossfire is hostilities; everything else aimed at aid workers is
    violence against personnel.

    >>> access_category("Roadside IED", None)
    'explosive_ordnance'
    >>> access_category("Aerial bombing, missiles and shelling", None)
    'hostilities'
    >>> access_category("Shooting", "Combat/Crossfire")
    'hostilities'
    >>> access_category("Kidnapping", "Ambush")
    'violence_against_personnel'
    """
    words = set(label_key(means or "").split())
    if words & _HOSTILITY_WORDS:
        return "hostilities"
    if words & _ORDNANCE_WORDS and "complex" not in words:
        return "explosive_ordnance"
    context_words = set(label_key(context or "").split())
    if context_words & {"crossfire", "combat"}:
        return "hostilities"
    return "violence_against_personnel"


def hash_cells(cells: Sequence[object]) -> str:
    return hashlib.md5(json.dumps([cell_text(c) for c in cells], ensure_ascii=False).encode("utf-8")).hexdigest()


def make_incident_id(feed: str, source_id: str, occurrences: dict[tuple[str, str], int],
                     dataset: str | None = None, first_dataset: str | None = None) -> str:
    """Stable id from feed, publisher id and occurrence (AWSD has reused an id for two incidents).

    A publisher with several dataset families (Insecurity Insight) reports one event in several
    files under one id: the family is part of the id, so each file's row is its own incident (the
    duplicate rule then counts the event once). The first family keeps the id it had before
    families were told apart, so a database loaded earlier recognises its rows.

    >>> occ = {}
    >>> make_incident_id("insecurity_insight", "42", occ, "aid_workers", "aid_workers") == make_incident_id(
    ...     "insecurity_insight", "42", {})
    True
    >>> make_incident_id("insecurity_insight", "42", occ, "health_care", "aid_workers") != make_incident_id(
    ...     "insecurity_insight", "42", {})
    True
    """
    family = dataset if dataset and dataset != first_dataset else ""
    occurrences[(family, source_id)] = occurrences.get((family, source_id), 0) + 1
    n = str(occurrences[(family, source_id)])
    return stable_id("IN", feed, family, source_id, n) if family else stable_id("IN", feed, source_id, n)
