"""The engagement log format: one declaration per log column, and everything else is made from it.

A :class:`Column` says what a column is called (name, synonyms, HXL tags), what its values are
(type, vocabulary), which checks it can fail, whether it is required, whether it is confidential,
and where its value is stored. From :data:`COLUMNS` come:

* the typed SQL, the checks and the named ``INSERT INTO engagements`` of :mod:`etl.logs.sql`;
* the vocabulary, date and number columns of :mod:`etl.logs.validate` and :mod:`etl.logs.mapping`;
* the hiding rule of :mod:`dashboard.db.scope`: a stored column of a confidential log column is NULL
  wherever the scope hides names (``NAMES``) or notes (``NOTES``);
* ``docs/log-format.md`` (``scripts/gen_log_format_doc.py``; ``tests/test_docs.py`` checks it is
  up to date).

A column is recognised by its name after :func:`column_key` (case, accents, punctuation and
KoboToolbox group paths such as ``request/date`` do not matter), by one of its synonyms, or by its
HXL hashtag when the file has a hashtag row under the header.

Adding a log column: declare it here, add its stored column to the schema (a migration), and let
the demo generator write it. Nothing else names log columns one by one.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Types of values. Each has its typing SQL in etl.logs.sql (TEXT and MULTI are stored as written;
# COUNTRY, PCODE and ADMIN_NAME are resolved against the gazetteer into the row's place).
TEXT, DATE, NUMBER, COORDINATE, VOCAB, MULTI = "text", "date", "number", "coordinate", "vocab", "multi"
COUNTRY, PCODE, ADMIN_NAME = "country", "pcode", "admin_name"
TYPES = (TEXT, DATE, NUMBER, COORDINATE, VOCAB, MULTI, COUNTRY, PCODE, ADMIN_NAME)
SQL_TYPES = {TEXT: "VARCHAR", DATE: "DATE", NUMBER: "INTEGER", COORDINATE: "DOUBLE", VOCAB: "VARCHAR",
             MULTI: "VARCHAR", COUNTRY: "VARCHAR", PCODE: "VARCHAR", ADMIN_NAME: "VARCHAR"}

# What makes a column confidential: hidden where the user's scope pseudonymises names (``hq`` outside
# its granted regions), or where it hides notes. See etl.accounts.roles.Scope.
NAMES, NOTES = "names", "notes"

# Checks whose reason code comes from the data: the reasons each can give. Every other check name is
# the reason code it gives (see etl.logs.validate.REASONS).
CHECK_REASONS: dict[str, tuple[str, ...]] = {
    "date_parse": ("bad_date", "impossible_date"),
    "number_parse": ("bad_number", "ambiguous_number"),
    "point_in_country": ("swapped_coordinates", "outside_country"),
}

_DATE_CHECKS = ("date_parse", "future_date", "too_old_date")
# Counts of people are whole; days may have a fraction (rounded to whole days when stored).
_COUNT_CHECKS = (("number_parse", "number_too_large", "not_whole_number", "negative_number"),)
_DAYS_CHECKS = (("number_parse", "number_too_large", "negative_number"),)


@dataclass(frozen=True)
class Column:
    """One log column, declared once.

    :param name: canonical name (the column of ``stage_raw`` and of mapping files).
    :param meaning: one line for people (docs/log-format.md).
    :param synonyms: other headers that mean this column.
    :param hxl: HXL hashtags that mean this column.
    :param required: a file without the column is refused.
    :param type: one of :data:`TYPES`.
    :param vocab: for ``VOCAB`` and ``MULTI`` columns, the name of the vocabulary in
        :data:`etl.vocab.VOCABULARIES`.
    :param checks: the checks a value can fail, in order; each inner tuple is one check whose names are
        exclusive (the first that holds is reported). A name is a reason code, or a key of
        :data:`CHECK_REASONS`.
    :param confidential: ``NAMES`` or ``NOTES`` when the value must not be seen where the scope hides
        names or notes; None otherwise.
    :param stored: the ``table.column`` places the value (or what it resolves to) is stored in. At
        most one is in ``engagements``; :mod:`etl.logs.sql` inserts it there by name.
    """

    name: str
    meaning: str
    synonyms: tuple[str, ...] = ()
    hxl: tuple[str, ...] = ()
    required: bool = False
    type: str = TEXT
    vocab: str | None = None
    checks: tuple[tuple[str, ...], ...] = ()
    confidential: str | None = None
    stored: tuple[str, ...] = ()

    @property
    def reasons(self) -> tuple[str, ...]:
        """Every reason code a value of the column can be rejected with."""
        return tuple(r for check in self.checks for name in check for r in CHECK_REASONS.get(name, (name,)))

    @property
    def engagements_column(self) -> str | None:
        """The column of ``engagements`` this log column fills, if any."""
        found = [t.split(".", 1)[1] for t in self.stored if t.startswith("engagements.")]
        return found[0] if found else None

    @property
    def sql_type(self) -> str:
        return SQL_TYPES[self.type]


COLUMNS: tuple[Column, ...] = (
    Column("engagement_id", "The office's own id for the engagement (Kobo `_uuid` works). Used to spot re-sent rows.",
           ("id", "record_id", "engagement_ref", "reference", "ref", "uuid", "_uuid", "log_id", "entry_id"),
           ("#x_engagement+id", "#event+id"),
           stored=("engagements.source_engagement_id",)),
    Column("date", "Date of the engagement (meeting, call, checkpoint stop).",
           ("engagement_date", "date_of_engagement", "meeting_date", "contact_date", "date_of_contact",
            "event_date", "incident_date", "date_engagement"),
           ("#date", "#date+engagement", "#date+occurred"),
           required=True, type=DATE, checks=(("missing_date", *_DATE_CHECKS),), stored=("engagements.engagement_date",)),
    Column("request_id", "Id of the access request this engagement is about; rows sharing it form one request.",
           ("access_request_id", "request_ref", "request_reference", "request_no", "request_number"),
           ("#x_request+id",),
           stored=("access_requests.source_request_id",)),
    Column("request_date", "Date the access request was made.",
           ("date_requested", "requested_date", "date_of_request", "request_submitted", "submission_date"),
           ("#date+requested",),
           type=DATE, checks=(_DATE_CHECKS, ("request_after_engagement",)),
           stored=("access_requests.requested_date",)),
    Column("resolution_date", "Date the answer came (for granted, conditional, partial or denied).",
           ("date_resolved", "decision_date", "response_date", "date_of_decision", "answer_date"),
           ("#date+resolved",),
           type=DATE, checks=(_DATE_CHECKS, ("resolution_before_request",)),
           stored=("engagements.resolution_date",)),
    Column("days_to_resolution", "Days from request to answer, when the dates themselves are not logged.",
           ("days_to_access", "delay_days", "days_delay", "days_to_decision", "processing_days"),
           ("#x_delay+days",),
           type=NUMBER, checks=_DAYS_CHECKS, stored=("engagements.days_to_resolution",)),
    Column("organisation", "Organisation that asked for access.",
           ("organization", "org", "agency", "partner", "requesting_organisation", "requesting_agency",
            "implementing_partner"),
           ("#org", "#org+name"),
           stored=("engagements.organisation", "access_requests.organisation")),
    Column("activity", "What access was requested for (movement of staff, delivery of goods, assessment...).",
           ("request_type", "access_request", "type_of_request", "purpose", "activity_type", "request",
            "type_of_activity", "access_request_type"),
           ("#activity", "#activity+type"),
           required=True, type=VOCAB, vocab="activity",
           checks=(("missing_activity",), ("unknown_activity",)), stored=("engagements.activity", "access_requests.activity")),
    Column("priority", "Priority of the request (high, medium, low).", ("urgency", "request_priority"),
           ("#priority",),
           type=VOCAB, vocab="priority", checks=(("unknown_priority",),),
           stored=("access_requests.priority",)),
    Column("people_targeted", "People the request aimed to reach.",
           ("people_to_reach", "people_to_be_reached", "beneficiaries", "target_population", "targeted",
            "people_in_need_targeted", "beneficiaries_targeted"),
           ("#affected+targeted", "#targeted"),
           type=NUMBER, checks=_COUNT_CHECKS,
           stored=("engagements.people_targeted", "access_requests.people_targeted")),
    Column("people_reached", "People actually reached after the answer.",
           ("beneficiaries_reached", "reached", "people_assisted"), ("#reached", "#affected+reached"),
           type=NUMBER, checks=_COUNT_CHECKS, stored=("engagements.people_reached",)),
    Column("country", "Country: ISO3 code, ISO2 code or English/French name.",
           ("country_iso3", "iso3", "country_code", "country_name", "country_iso", "pays"),
           ("#country", "#country+code", "#country+name"),
           required=True, type=COUNTRY, checks=(("unknown_country", "missing_country"),), stored=("engagements.iso3",)),
    Column("admin1", "First-level admin area name (state, province, governorate, region).",
           ("admin1_name", "adm1", "adm1_name", "state", "province", "governorate", "region", "wilaya",
            "admin_1"),
           ("#adm1", "#adm1+name"),
           type=ADMIN_NAME, stored=("engagements.admin1_pcode",)),
    Column("admin1_pcode", "First-level admin area P-code (OCHA COD).",
           ("adm1_pcode", "admin1_code", "adm1_code", "admin1pcode", "pcode", "p_code"),
           ("#adm1+code",),
           type=PCODE, checks=(("unknown_pcode", "pcode_country_mismatch"),),
           stored=("engagements.admin1_pcode",)),
    Column("location", "Place, village, site or route the request was for.",
           ("place", "route", "village", "town", "site", "destination", "location_name", "locality"),
           ("#loc", "#loc+name"),
           stored=("engagements.location", "access_requests.location")),
    Column("checkpoint", "Checkpoint or crossing where the engagement took place, if any.",
           ("checkpoint_name", "crossing", "crossing_point", "border_crossing", "cp", "checkpoint_location"),
           ("#loc+checkpoint", "#x_checkpoint"),
           stored=("checkpoints.name",)),
    Column("checkpoint_kind", "Kind of checkpoint (fixed, partial, mobile, border crossing, road gate, roadblock).",
           ("checkpoint_type", "type_of_checkpoint", "cp_type"), ("#x_checkpoint+type",),
           type=VOCAB, vocab="checkpoint_kind",
           checks=(("unknown_checkpoint_kind",),), stored=("checkpoints.kind",)),
    Column("latitude", "Latitude in decimal degrees (WGS 84).",
           ("lat", "gps_latitude", "y", "_gps_latitude", "_location_latitude", "geo_lat"), ("#geo+lat",),
           type=COORDINATE,
           checks=(("bad_coordinate", "coordinate_out_of_range"), ("half_coordinate", "null_island"),
                   ("point_in_country",)),
           stored=("engagements.latitude",)),
    Column("longitude", "Longitude in decimal degrees (WGS 84).",
           ("lon", "lng", "long", "gps_longitude", "x", "_gps_longitude", "_location_longitude", "geo_lon"),
           ("#geo+lon",),
           type=COORDINATE,
           checks=(("bad_coordinate", "coordinate_out_of_range"),), stored=("engagements.longitude",)),
    Column("counterpart", "Who was engaged: person, unit or office, as written by the field team.",
           ("counterpart_name", "interlocutor", "authority", "actor", "actor_name", "commander",
            "armed_actor", "negotiation_counterpart", "contact", "interlocuteur"),
           ("#group+name", "#actor+name", "#group+perp+name"),
           required=True, checks=(("missing_counterpart",),), confidential=NAMES,
           stored=("engagements.counterpart_name", "counterparts.name", "counterpart_aliases.alias")),
    Column("counterpart_type", "Type of counterpart (state armed forces, police, non-state armed group...).",
           ("actor_type", "counterpart_category", "type_of_counterpart", "type_of_actor", "perpetrator_type"),
           ("#group+type", "#actor+type", "#group+perp"),
           type=VOCAB, vocab="counterpart_type",
           checks=(("unknown_counterpart_type",),), stored=("counterparts.counterpart_type",)),
    Column("counterpart_affiliation", "Unit, group or chain of command the counterpart belongs to.",
           ("affiliation", "chain_of_command", "parent_group", "parent_unit", "group", "unit"),
           ("#group+affiliation", "#x_affiliation"),
           confidential=NAMES, stored=("counterparts.affiliation",)),
    Column("counterpart_level", "Level of the counterpart: frontline, mid or senior.",
           ("level", "seniority", "counterpart_seniority"), ("#x_counterpart+level",),
           type=VOCAB, vocab="counterpart_level",
           checks=(("unknown_counterpart_level",),), stored=("counterparts.level",)),
    Column("channel", "How the engagement happened: in person, phone, through an intermediary, written.",
           ("contact_channel", "mode", "means_of_contact", "engagement_channel", "modality"),
           ("#x_channel",),
           type=VOCAB, vocab="channel", checks=(("unknown_channel",),), stored=("engagements.channel",)),
    Column("intermediary", "Who helped, when the engagement went through an intermediary.",
           ("facilitator", "via", "mediator", "intermediary_name", "go_between"), ("#x_intermediary",),
           confidential=NAMES, stored=("engagements.intermediary",)),
    Column("outcome", "Outcome: granted, granted with conditions, partially granted, denied, deferred, no response.",
           ("result", "decision", "response", "access_outcome", "answer", "outcome_of_request",
            "resultat"),
           ("#status", "#x_outcome", "#outcome"),
           required=True, type=VOCAB, vocab="outcome",
           checks=(("missing_outcome",), ("unknown_outcome",)), stored=("engagements.outcome",)),
    Column("conditions", "Conditions imposed, separated by ';' (escort, staff list, fee, inspection...).",
           ("conditions_imposed", "condition", "conditions_attached", "terms", "condition_types",
            "conditions_required"), ("#x_conditions",),
           type=MULTI, vocab="condition", stored=("engagement_conditions.condition",)),
    Column("obstacles", "Obstacles met, separated by ';', in OCHA's access-constraint terms or their sub-types.",
           ("obstacle", "constraints", "access_constraints", "impediments", "obstacle_type", "constraint_type",
            "access_constraint", "obstacle_types", "obstacles_met", "constraint_types"),
           ("#x_obstacles", "#impact+type", "#event+type"),
           type=MULTI, vocab="obstacle", checks=(("unknown_obstacle",),),
           stored=("engagement_obstacles.category",)),
    Column("follow_up_due", "Date a follow-up is due.",
           ("follow_up", "follow_up_date", "next_follow_up", "follow_up_deadline", "next_steps_date"),
           ("#date+followup",),
           type=DATE, checks=(("date_parse", "too_old_date"),), stored=("engagements.follow_up_due",)),
    Column("notes", "Confidential notes. Never shown outside the user's scope; always rendered as plain text.",
           ("comments", "comment", "remarks", "confidential_notes", "narrative", "description", "details",
            "observations"),
           ("#description", "#x_notes"),
           confidential=NOTES, stored=("engagements.notes",)),
)

COLUMN_NAMES = tuple(c.name for c in COLUMNS)
REQUIRED = tuple(c.name for c in COLUMNS if c.required)
BY_NAME: dict[str, Column] = {c.name: c for c in COLUMNS}
DATE_COLUMNS = tuple(c.name for c in COLUMNS if c.type == DATE)
NUMBER_COLUMNS = tuple(c.name for c in COLUMNS if c.type == NUMBER)


def confidential_columns(table: str) -> dict[str, Column]:
    """The columns of ``table`` holding a confidential log column's value, each with its declaration.

    >>> sorted(confidential_columns("engagements"))
    ['counterpart_name', 'intermediary', 'notes']
    >>> confidential_columns("engagements")["notes"].confidential
    'notes'
    """
    prefix = f"{table}."
    return {target[len(prefix):]: c for c in COLUMNS if c.confidential for target in c.stored
            if target.startswith(prefix)}

# Separator inside multi-valued cells (conditions, obstacles). Commas also split when no ';' appears.
MULTI_SEPARATORS = re.compile(r"\s*[;|\n]\s*")

_NON_WORD = re.compile(r"[^0-9a-z]+")


def column_key(header: str) -> str:
    """Key used to recognise a column header.

    KoboToolbox/ODK group paths keep only their last part; case, accents and punctuation go.

    >>> column_key("Request/Date of Request")
    'date_of_request'
    >>> column_key("  Counterpart-Name ")
    'counterpart_name'
    """
    text = unicodedata.normalize("NFKD", str(header)).encode("ascii", "ignore").decode("ascii").lower()
    if "/" in text:
        text = text.rsplit("/", 1)[-1]
    return _NON_WORD.sub("_", text).strip("_")


def hxl_key(tag: str) -> str:
    """Canonical form of an HXL hashtag with attributes: lower case, no spaces, attributes sorted.

    >>> hxl_key("#Geo +Lat")
    '#geo+lat'
    >>> hxl_key("#group+name+perp")
    '#group+name+perp'
    """
    parts = [p.strip().lower() for p in str(tag).replace(" ", "").split("+") if p.strip()]
    if not parts:
        return ""
    head, attrs = parts[0], sorted(parts[1:])
    return "+".join([head, *attrs])


_BY_KEY: dict[str, str] = {}
_BY_HXL: dict[str, str] = {}
for _col in COLUMNS:
    for _word in (_col.name, *_col.synonyms):
        _BY_KEY.setdefault(column_key(_word), _col.name)
    for _tag in _col.hxl:
        _BY_HXL.setdefault(hxl_key(_tag), _col.name)


def match_column(header: str) -> str | None:
    """Canonical column for a header, or None."""
    return _BY_KEY.get(column_key(header))


def match_hxl(tag: str) -> str | None:
    """Canonical column for an HXL hashtag, or None."""
    if not str(tag).strip().startswith("#"):
        return None
    return _BY_HXL.get(hxl_key(tag))


def looks_like_hxl_row(values: list[object]) -> bool:
    """True when a row is an HXL hashtag row (most non-empty cells start with '#')."""
    cells = [str(v).strip() for v in values if v is not None and str(v).strip()]
    return bool(cells) and sum(c.startswith("#") for c in cells) >= max(1, len(cells) // 2)
