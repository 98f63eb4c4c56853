"""The country offices that write the logs: each one's file format, encoding, date style, header
spellings, dropped columns and own labels for the vocabularies.
"""

from __future__ import annotations

import random
from typing import Any

from etl.demo.constants import (
    ACTIVITY_CODES,
    CHANNEL_CODES,
    KIND_CODES,
    O_COND,
    O_DEFERRED,
    O_DENIED,
    O_GRANTED,
    O_NORESP,
    O_PARTIAL,
)
from etl.demo.model import Office, World
from etl.demo.patterns import CONDITION_ITEMS, CONDITION_NAMES, FRENCH_OFFICES
from etl.demo.people import TYPE_LABELS, TYPE_LABELS_FR
from etl.logs.columns import match_column

HEADER_OPTIONS: dict[str, tuple[str, ...]] = {
    "engagement_id": ("Engagement ID", "ID", "Record ID", "Ref", "Reference", "Log ID", "Entry ID"),
    "date": ("Date", "Date of engagement", "Engagement date", "Meeting date", "Date of contact",
             "Event date"),
    "request_id": ("Request ID", "Request ref", "Request No", "Access request ID", "Request number"),
    "request_date": ("Date requested", "Request date", "Date of request", "Submission date"),
    "resolution_date": ("Resolution date", "Decision date", "Date resolved", "Response date",
                        "Date of decision"),
    "days_to_resolution": ("Days to resolution", "Days to access", "Delay (days)", "Processing days",
                           "Days to decision"),
    "organisation": ("Organisation", "Organization", "Agency", "Requesting agency", "Partner", "Org"),
    "activity": ("Activity", "Request type", "Type of request", "Purpose", "Activity type"),
    "priority": ("Priority", "Urgency", "Request priority"),
    "people_targeted": ("People targeted", "Beneficiaries", "Target population", "Beneficiaries targeted",
                        "People to reach"),
    "people_reached": ("People reached", "Beneficiaries reached", "Reached", "People assisted"),
    "country": ("Country", "Country ISO3", "Country code", "Country name"),
    "admin1": ("Admin1", "Admin 1", "ADM1 name"),
    "admin1_pcode": ("Admin1 Pcode", "ADM1_PCODE", "P-code", "Pcode", "Adm1 code"),
    "location": ("Location", "Place", "Village", "Site", "Destination", "Locality"),
    "checkpoint": ("Checkpoint", "Checkpoint name", "Crossing point", "CP"),
    "checkpoint_kind": ("Checkpoint type", "Type of checkpoint", "CP type"),
    "counterpart": ("Counterpart", "Counterpart name", "Interlocutor", "Actor name", "Authority", "Contact"),
    "counterpart_type": ("Counterpart type", "Actor type", "Type of counterpart", "Counterpart category"),
    "counterpart_affiliation": ("Affiliation", "Chain of command", "Parent group", "Parent unit"),
    "counterpart_level": ("Level", "Seniority", "Counterpart level"),
    "channel": ("Channel", "Contact channel", "Mode", "Means of contact", "Modality"),
    "intermediary": ("Intermediary", "Facilitator", "Via", "Mediator", "Go-between"),
    "outcome": ("Outcome", "Result", "Decision", "Response", "Access outcome"),
    "conditions": ("Conditions", "Conditions imposed", "Terms", "Conditions attached"),
    "obstacles": ("Obstacles", "Constraints", "Access constraints", "Impediments", "Obstacle type"),
    "follow_up_due": ("Follow-up due", "Follow-up date", "Next follow-up", "Follow up deadline"),
    "notes": ("Notes", "Comments", "Remarks", "Observations", "Narrative"),
}
COORD_HEADERS = (("Lat", "Lon"), ("Latitude", "Longitude"), ("GPS latitude", "GPS longitude"), ("lat",
                                                                                                "lng"),
                 ("Y", "X"))
ADMIN1_HEADER = {"SSD": "State", "SDN": "State", "NGA": "State", "AFG": "Province", "PAK": "Province",
                 "YEM": "Governorate", "SYR": "Governorate", "IRQ": "Governorate", "UGA": "Region",
                 "BFA": "Region",
                 "NER": "Region"}
FRENCH_HEADERS = {"country": "Pays", "counterpart": "Interlocuteur", "outcome": "Résultat"}
KOBO_GROUPS = {"engagement_id": "meta", "date": "engagement", "request_id": "request",
               "request_date": "request",
               "resolution_date": "request", "days_to_resolution": "request", "organisation": "request",
               "activity": "request", "priority": "request", "people_targeted": "request",
               "people_reached": "request", "country": "location", "admin1": "location",
               "admin1_pcode": "location",
               "location": "location", "checkpoint": "location", "checkpoint_kind": "location",
               "latitude": "location", "longitude": "location", "counterpart": "counterpart",
               "counterpart_type": "counterpart", "counterpart_affiliation": "counterpart",
               "counterpart_level": "counterpart", "channel": "engagement", "intermediary": "engagement",
               "outcome": "engagement", "conditions": "engagement", "obstacles": "engagement",
               "follow_up_due": "engagement", "notes": "engagement"}
KOBO_NAMES = {"engagement_id": "record_id", "date": "date_of_engagement", "latitude": "_gps_latitude",
              "longitude": "_gps_longitude", "counterpart": "counterpart_name", "admin1": "adm1_name",
              "admin1_pcode": "adm1_pcode", "obstacles": "access_constraints"}
CANONICAL_ORDER = ("engagement_id", "date", "request_id", "request_date", "resolution_date",
                   "days_to_resolution", "organisation", "activity", "priority", "people_targeted",
                   "people_reached", "country", "admin1", "admin1_pcode", "location", "checkpoint",
                   "checkpoint_kind", "latitude", "longitude", "counterpart", "counterpart_type",
                   "counterpart_affiliation", "counterpart_level", "channel", "intermediary", "outcome",
                   "conditions", "obstacles", "follow_up_due", "notes")
OPTIONAL_DROPS = ("checkpoint_kind", "intermediary", "days_to_resolution", "resolution_date",
                  "admin1_pcode", "counterpart_affiliation", "priority", "follow_up_due", "people_reached")

# Office layouts by iso3 (mixed-format runs); offices not listed write CSV.
OFFICE_LAYOUT: dict[str, dict[str, Any]] = {
    "SSD": {"fmt": "xlsx", "title_rows": True, "date_style": "excel", "xlsx_date_format": "dd-mmm-yyyy"},
    "AFG": {"fmt": "xlsx", "date_style": "excel", "xlsx_date_format": "dd/mm/yyyy"},
    "IRQ": {"fmt": "json", "date_style": "iso"},
    "YEM": {"fmt": "csv", "encoding": "utf-8-sig", "date_style": "dmy", "lineterminator": "\r\n"},
    "SYR": {"date_style": "dmy"}, "CAF": {"date_style": "dmy"}, "NER": {"date_style": "dmy"},
    "BFA": {"date_style": "dmon"}, "NGA": {"date_style": "dmon"}, "UGA": {"date_style": "dmon"},
    "UKR": {"date_style": "iso"}, "PAK": {"date_style": "iso"},
}

OUTCOME_LABELS = {
    O_GRANTED: ("Granted", "Approved", "ok'd", "OK", "Access granted", "Cleared", "Allowed", "Permitted"),
    O_COND: ("Granted with conditions", "Granted w/ conditions", "Conditional", "Approved with conditions",
             "Conditionally granted", "OK with conditions"),
    O_PARTIAL: ("Partially granted", "Partial", "Partial access", "Partly granted", "Partially approved"),
    O_DENIED: ("Denied", "Refused", "Rejected", "Blocked", "Turned back", "Not allowed", "Access denied"),
    O_DEFERRED: ("Deferred", "Postponed", "Pending", "On hold", "Delayed", "To be confirmed"),
    O_NORESP: ("No response", "no answer", "No reply", "Unanswered", "No feedback"),
}
OUTCOME_LABELS_FR = {
    O_GRANTED: ("Accordé", "accordé", "Autorisé", "Approuvé"),
    O_COND: ("Accordé sous conditions", "accordé avec conditions"),
    O_PARTIAL: ("Partiellement accordé", "Partiel"),
    O_DENIED: ("Refusé", "Rejeté", "refusé"),
    O_DEFERRED: ("Reporté", "En attente"),
    O_NORESP: ("Sans réponse", "Pas de réponse"),
}
ACTIVITY_LABELS = {
    "staff_movement": ("Movement of staff", "Staff movement", "Road movement", "Field mission",
                       "Staff travel"),
    "goods_delivery": ("Delivery of goods", "Convoy", "Aid convoy", "Food delivery", "Truck movement",
                       "Distribution"),
    "assessment": ("Assessment", "Needs assessment", "Rapid assessment", "Monitoring visit"),
    "medical_evacuation": ("Medical evacuation", "Medevac", "Referral", "Patient transfer"),
    "protection_visit": ("Protection visit", "Protection monitoring", "Protection mission"),
    "presence": ("Presence", "Office opening", "Establish presence", "Registration of office"),
    "programme_implementation": ("Programme implementation", "Mobile clinic", "Vaccination campaign",
                                 "Project implementation", "Service delivery"),
}

LEVEL_LABELS = (("Frontline", "Mid", "Senior"), ("frontline", "mid-level", "senior"),
                ("Field", "Middle", "High level"), ("Local", "District", "National"),
                ("Checkpoint", "Operational", "Strategic"))
PRIORITY_LABELS = (("High", "Medium", "Low"), ("1", "2", "3"), ("P1", "P2", "P3"), ("Urgent", "Normal",
                                                                                    "Routine"),
                   ("high", "med", "low"))
CHANNEL_LABELS = {
    "in_person": ("In person", "Face to face", "Meeting", "At checkpoint", "Visit"),
    "phone": ("Phone", "Phone call", "Telephone", "WhatsApp", "Sat phone", "Thuraya"),
    "intermediary": ("Through an intermediary", "Via intermediary", "Intermediary", "Third party"),
    "written": ("Written", "Letter", "Email", "Official letter", "Note verbale"),
}
CHANNEL_LABELS_FR = {"in_person": ("En personne",), "phone": ("Téléphone", "WhatsApp"),
                     "intermediary": ("Intermediary",), "written": ("Courrier", "Email")}
KIND_LABELS = {
    "fixed": ("Checkpoint", "Fixed checkpoint", "Permanent checkpoint", "Static checkpoint"),
    "partial": ("Partial checkpoint", "Partially staffed"),
    "mobile": ("Mobile checkpoint", "Flying checkpoint", "Mobile", "Temporary checkpoint"),
    "border_crossing": ("Border crossing", "Border post", "Crossing point"),
    "road_gate": ("Road gate", "Gate"),
    "roadblock": ("Roadblock", "Road block", "Earth mound"),
}

def _office_plan(world: World, seed: int, mixed: bool) -> list[Office]:
    rnd = random.Random(seed * 7919 + 11)
    offices: list[Office] = []
    # fall-back layouts for countries without an entry, so that each format still appears once
    needed: list[dict[str, Any]] = [
        {"fmt": "xlsx", "title_rows": True, "date_style": "excel", "xlsx_date_format": "dd-mmm-yyyy"},
        {"fmt": "xlsx", "date_style": "excel", "xlsx_date_format": "dd/mm/yyyy"},
        {"fmt": "json", "date_style": "iso"},
        {"fmt": "csv", "encoding": "utf-8-sig", "date_style": "dmy", "lineterminator": "\r\n"},
    ]
    present = [OFFICE_LAYOUT[c.iso3] for c in world.countries if c.iso3 in OFFICE_LAYOUT]
    missing = [n for n in needed if n not in present]
    styles = ("iso", "dmy", "dmon")
    for c in world.countries:
        layout: dict[str, Any] = dict(OFFICE_LAYOUT.get(c.iso3) or (
            missing.pop(0) if missing else {"date_style": styles[c.index % 3]}))
        if not mixed:
            layout = {"fmt": "csv", "date_style": "iso"}
        fmt = layout.get("fmt", "csv")
        french = c.iso3 in FRENCH_OFFICES
        # columns
        drops = set(rnd.sample(OPTIONAL_DROPS, rnd.randint(0, 3)))
        if {"resolution_date", "days_to_resolution"} <= drops:
            drops.discard("resolution_date")
        cols = [col for col in CANONICAL_ORDER if col not in drops]
        if c.index % 5 == 3:  # this office logs only the P-code, not the admin-1 name
            cols.remove("admin1")
            if "admin1_pcode" not in cols:
                cols.insert(CANONICAL_ORDER.index("admin1_pcode") - 1, "admin1_pcode")
        for _ in range(3):  # a few neighbouring columns in another order
            i = rnd.randrange(2, len(cols) - 1)
            cols[i], cols[i + 1] = cols[i + 1], cols[i]
        snake = c.index % 4 == 1 and fmt == "csv"
        lat_h, lon_h = rnd.choice(COORD_HEADERS)
        headers: list[tuple[str, str]] = []
        for col in cols:
            if fmt == "json":
                h = f"{KOBO_GROUPS[col]}/{KOBO_NAMES.get(col, col)}"
            elif snake:
                h = col
            elif col == "latitude":
                h = lat_h
            elif col == "longitude":
                h = lon_h
            elif french and col in FRENCH_HEADERS:
                h = FRENCH_HEADERS[col]
            elif col == "admin1" and c.iso3 in ADMIN1_HEADER and rnd.random() < 0.7:
                h = ADMIN1_HEADER[c.iso3]
            else:
                h = rnd.choice(HEADER_OPTIONS[col])
            if match_column(h) != col:  # the log format no longer takes this spelling
                h = col
            headers.append((h, col))
        country_value = rnd.choice([c.iso3, c.iso3, c.name] + (
            ["République centrafricaine"] if c.iso3 == "CAF" else []))
        office = Office(
            iso3=c.iso3, country=c.index, fmt=fmt,
            encoding=layout.get("encoding", "utf-8") if fmt != "xlsx" else None,
            date_style=layout.get("date_style", "iso"), columns=headers, country_value=country_value,
            title_rows=bool(layout.get("title_rows", False)),
            xlsx_date_format=layout.get("xlsx_date_format", "yyyy-mm-dd"),
            lineterminator=layout.get("lineterminator", "\n"),
            obstacle_sep=rnd.choice(("; ", ";", " ; ")), condition_sep=rnd.choice(("; ", ";")),
            label_case=rnd.choice(("lower", "sentence")), coord_decimals=rnd.choice((4, 5, 5, 6)),
        )
        office.labels = _office_labels(rnd, french)
        offices.append(office)
    return offices


def _office_labels(rnd: random.Random, french: bool) -> dict[str, Any]:
    """Each office's own way of writing the vocabularies: a main label per code and alternatives."""
    def pick(options: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
        return rnd.choice(options), options

    out_src = OUTCOME_LABELS_FR if french else OUTCOME_LABELS
    chan_src = CHANNEL_LABELS_FR if french else CHANNEL_LABELS
    return {
        "outcome": [pick(out_src[o]) for o in range(6)],
        "type": [pick((TYPE_LABELS_FR if french else TYPE_LABELS)[t]) for t in range(8)],
        "activity": [pick(ACTIVITY_LABELS[a]) for a in ACTIVITY_CODES],
        "level": rnd.choice(LEVEL_LABELS),
        "priority": rnd.choice(PRIORITY_LABELS),
        "channel": [pick(chan_src[ch]) for ch in CHANNEL_CODES],
        "kind": [pick(KIND_LABELS[k]) for k in KIND_CODES],
        "condition": [rnd.choice(CONDITION_ITEMS[c]) for c in CONDITION_NAMES],
    }


# ---------------------------------------------------------------------------------- sampling
