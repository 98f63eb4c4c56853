"""The engagement log format: one row per engagement, the columns we accept and their synonyms.

``docs/log-format.md`` documents the same table for people; ``tests/test_docs.py`` checks the
two agree. A column is recognised by its name after :func:`column_key` (case, accents,
punctuation and KoboToolbox group paths such as ``request/date`` do not matter), by one of its
synonyms, or by its HXL hashtag when the file has a hashtag row under the header.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    name: str
    meaning: str
    synonyms: tuple[str, ...] = ()
    hxl: tuple[str, ...] = ()
    required: bool = False


COLUMNS: tuple[Column, ...] = (
    Column("engagement_id", "The office's own id for the engagement (Kobo `_uuid` works). Used to spot re-sent rows.",
           ("id", "record_id", "engagement_ref", "reference", "ref", "uuid", "_uuid", "log_id", "entry_id"),
           ("#x_engagement+id", "#event+id")),
    Column("date", "Date of the engagement (meeting, call, checkpoint stop).",
           ("engagement_date", "date_of_engagement", "meeting_date", "contact_date", "date_of_contact",
            "event_date", "incident_date", "date_engagement"),
           ("#date", "#date+engagement", "#date+occurred"), required=True),
    Column("request_id", "Id of the access request this engagement is about; rows sharing it form one request.",
           ("access_request_id", "request_ref", "request_reference", "request_no", "request_number"),
           ("#x_request+id",)),
    Column("request_date", "Date the access request was made.",
           ("date_requested", "requested_date", "date_of_request", "request_submitted", "submission_date"),
           ("#date+requested",)),
    Column("resolution_date", "Date the answer came (for granted, conditional, partial or denied).",
           ("date_resolved", "decision_date", "response_date", "date_of_decision", "answer_date"),
           ("#date+resolved",)),
    Column("days_to_resolution", "Days from request to answer, when the dates themselves are not logged.",
           ("days_to_access", "delay_days", "days_delay", "days_to_decision", "processing_days"),
           ("#x_delay+days",)),
    Column("organisation", "Organisation that asked for access.",
           ("organization", "org", "agency", "partner", "requesting_organisation", "requesting_agency",
            "implementing_partner"),
           ("#org", "#org+name")),
    Column("activity", "What access was requested for (movement of staff, delivery of goods, assessment...).",
           ("request_type", "access_request", "type_of_request", "purpose", "activity_type", "request",
            "type_of_activity", "access_request_type"),
           ("#activity", "#activity+type"), required=True),
    Column("priority", "Priority of the request (high, medium, low).", ("urgency", "request_priority"),
           ("#priority",)),
    Column("people_targeted", "People the request aimed to reach.",
           ("people_to_reach", "people_to_be_reached", "beneficiaries", "target_population", "targeted",
            "people_in_need_targeted", "beneficiaries_targeted"),
           ("#affected+targeted", "#targeted")),
    Column("people_reached", "People actually reached after the answer.",
           ("beneficiaries_reached", "reached", "people_assisted"), ("#reached", "#affected+reached")),
    Column("country", "Country: ISO3 code, ISO2 code or English/French name.",
           ("country_iso3", "iso3", "country_code", "country_name", "country_iso", "pays"),
           ("#country", "#country+code", "#country+name"), required=True),
    Column("admin1", "First-level admin area name (state, province, governorate, region).",
           ("admin1_name", "adm1", "adm1_name", "state", "province", "governorate", "region", "wilaya",
            "admin_1"),
           ("#adm1", "#adm1+name")),
    Column("admin1_pcode", "First-level admin area P-code (OCHA COD).",
           ("adm1_pcode", "admin1_code", "adm1_code", "admin1pcode", "pcode", "p_code"),
           ("#adm1+code",)),
    Column("location", "Place, village, site or route the request was for.",
           ("place", "route", "village", "town", "site", "destination", "location_name", "locality"),
           ("#loc", "#loc+name")),
    Column("checkpoint", "Checkpoint or crossing where the engagement took place, if any.",
           ("checkpoint_name", "crossing", "crossing_point", "border_crossing", "cp", "checkpoint_location"),
           ("#loc+checkpoint", "#x_checkpoint")),
    Column("checkpoint_kind", "Kind of checkpoint (fixed, partial, mobile, border crossing, road gate, roadblock).",
           ("checkpoint_type", "type_of_checkpoint", "cp_type"), ("#x_checkpoint+type",)),
    Column("latitude", "Latitude in decimal degrees (WGS 84).",
           ("lat", "gps_latitude", "y", "_gps_latitude", "_location_latitude", "geo_lat"), ("#geo+lat",)),
    Column("longitude", "Longitude in decimal degrees (WGS 84).",
           ("lon", "lng", "long", "gps_longitude", "x", "_gps_longitude", "_location_longitude", "geo_lon"),
           ("#geo+lon",)),
    Column("counterpart", "Who was engaged: person, unit or office, as written by the field team.",
           ("counterpart_name", "interlocutor", "authority", "actor", "actor_name", "commander",
            "armed_actor", "negotiation_counterpart", "contact", "interlocuteur"),
           ("#group+name", "#actor+name", "#group+perp+name"), required=True),
    Column("counterpart_type", "Type of counterpart (state armed forces, police, non-state armed group...).",
           ("actor_type", "counterpart_category", "type_of_counterpart", "type_of_actor", "perpetrator_type"),
           ("#group+type", "#actor+type", "#group+perp")),
    Column("counterpart_affiliation", "Unit, group or chain of command the counterpart belongs to.",
           ("affiliation", "chain_of_command", "parent_group", "parent_unit", "group", "unit"),
           ("#group+affiliation", "#x_affiliation")),
    Column("counterpart_level", "Level of the counterpart: frontline, mid or senior.",
           ("level", "seniority", "counterpart_seniority"), ("#x_counterpart+level",)),
    Column("channel", "How the engagement happened: in person, phone, through an intermediary, written.",
           ("contact_channel", "mode", "means_of_contact", "engagement_channel", "modality"),
           ("#x_channel",)),
    Column("intermediary", "Who helped, when the engagement went through an intermediary.",
           ("facilitator", "via", "mediator", "intermediary_name", "go_between"), ("#x_intermediary",)),
    Column("outcome", "Outcome: granted, granted with conditions, partially granted, denied, deferred, no response.",
           ("result", "decision", "response", "access_outcome", "answer", "outcome_of_request",
            "resultat"),
           ("#status", "#x_outcome", "#outcome"), required=True),
    Column("conditions", "Conditions imposed, separated by ';' (escort, staff list, fee, inspection...).",
           ("conditions_imposed", "condition", "conditions_attached", "terms", "condition_types",
            "conditions_required"), ("#x_conditions",)),
    Column("obstacles", "Obstacles met, separated by ';', in OCHA's access-constraint terms or their sub-types.",
           ("obstacle", "constraints", "access_constraints", "impediments", "obstacle_type", "constraint_type",
            "access_constraint", "obstacle_types", "obstacles_met", "constraint_types"),
           ("#x_obstacles", "#impact+type", "#event+type")),
    Column("follow_up_due", "Date a follow-up is due.",
           ("follow_up", "follow_up_date", "next_follow_up", "follow_up_deadline", "next_steps_date"),
           ("#date+followup",)),
    Column("notes", "Confidential notes. Never shown outside the user's scope; always rendered as plain text.",
           ("comments", "comment", "remarks", "confidential_notes", "narrative", "description", "details",
            "observations"),
           ("#description", "#x_notes")),
)

COLUMN_NAMES = tuple(c.name for c in COLUMNS)
REQUIRED = tuple(c.name for c in COLUMNS if c.required)
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
