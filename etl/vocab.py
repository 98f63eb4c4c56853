"""Controlled vocabularies: outcomes, counterpart types, obstacle categories, conditions...

Each vocabulary maps the words field offices really write ("ok'd", "refused", "armed escort")
to one stable code. The codes are what the database stores; labels are what people read.

Matching is on a *key*: lower case, accents stripped, punctuation dropped, spaces collapsed
(see :func:`label_key`), so "Granted w/ conditions", "granted - w conditions" and
"GRANTED W CONDITIONS" are one key. The synonym tables are loaded into DuckDB at each load
(``vocab_terms``) so that normalising a million rows is one join, not a Python loop.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

_NON_WORD = re.compile(r"[^0-9a-z]+")


def label_key(text: str) -> str:
    """Matching key for a free-text label.

    >>> label_key("  Granted w/ Conditions ")
    'granted w conditions'
    >>> label_key("ok'd")
    'okd'
    """
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    text = text.replace("'", "").replace("\u2019", "")
    return _NON_WORD.sub(" ", text).strip()


@dataclass(frozen=True)
class Term:
    code: str
    label: str
    synonyms: tuple[str, ...] = ()
    description: str = ""


@dataclass(frozen=True)
class Vocabulary:
    """A closed list of terms, with the synonyms that map to each."""

    name: str
    terms: tuple[Term, ...]
    _index: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for term in self.terms:
            for word in (term.code, term.code.replace("_", " "), term.label, *term.synonyms):
                key = label_key(word)
                existing = self._index.get(key)
                if existing is not None and existing != term.code:
                    raise ValueError(f"{self.name}: '{word}' maps to both {existing} and {term.code}")
                self._index[key] = term.code

    @property
    def codes(self) -> list[str]:
        return [t.code for t in self.terms]

    def label(self, code: str) -> str:
        for term in self.terms:
            if term.code == code:
                return term.label
        raise KeyError(code)

    def lookup(self, raw: str | None) -> str | None:
        """Code for a raw label, or None when the label is not known.

        >>> OUTCOMES.lookup("Approved")
        'granted'
        """
        if raw is None:
            return None
        return self._index.get(label_key(str(raw)))

    def pairs(self) -> list[tuple[str, str]]:
        """(key, code) for every synonym: the rows of ``vocab_terms`` for this vocabulary."""
        return sorted(self._index.items())

    def help(self) -> str:
        """Human list of accepted values, for error messages."""
        return ", ".join(t.label for t in self.terms)


OUTCOMES = Vocabulary(
    "outcome",
    (
        Term("granted", "Granted", ("approved", "ok", "okay", "okd", "okayed", "allowed", "accepted", "yes",
                                    "authorised", "authorized", "cleared", "passed", "access granted", "permitted",
                                    "full access", "accorde", "autorise", "approuve", "oui")),
        Term("granted_with_conditions", "Granted with conditions",
             ("conditional", "conditionally granted", "conditional approval", "approved with conditions",
              "granted w conditions", "granted with condition", "yes with conditions", "ok with conditions",
              "allowed with conditions", "accorde sous conditions", "accorde avec conditions")),
        Term("partially_granted", "Partially granted",
             ("partial", "partially", "partly granted", "partially approved", "partial access", "partly",
              "partially allowed", "partiellement accorde", "partiel")),
        Term("denied", "Denied", ("refused", "rejected", "no", "declined", "blocked", "turned back", "not allowed",
                                  "access denied", "denial", "refusal", "not granted", "refuse", "rejete")),
        Term("deferred", "Deferred", ("postponed", "pending", "delayed", "on hold", "wait", "waiting",
                                      "to be confirmed", "tbc", "later", "reporte", "en attente")),
        Term("no_response", "No response", ("no answer", "no reply", "unanswered", "silence", "not answered",
                                            "no feedback", "none", "sans reponse", "pas de reponse")),
    ),
)

# Outcomes that count as a yes, in the share-granted figures.
GRANTED_OUTCOMES = ("granted", "granted_with_conditions", "partially_granted")

COUNTERPART_TYPES = Vocabulary(
    "counterpart_type",
    (
        Term("state_armed_forces", "State armed forces",
             ("army", "military", "armed forces", "national army", "state forces", "government forces",
              "state security forces", "host state", "host state military", "saf", "soldiers", "navy",
              "air force", "host or self declared host government military", "armee", "fds")),
        Term("police", "Police", ("police", "gendarmerie", "border police", "security services",
                                  "intelligence", "national security", "customs police")),
        Term("nsag", "Non-state armed group",
             ("non state armed group", "armed group", "armed opposition group", "aog", "rebels", "rebel group",
              "insurgents", "opposition forces", "nsa", "nsag", "armed movement", "groupe arme")),
        Term("de_facto_authority", "De facto authority", ("de facto authorities", "dfa", "de facto",
                                                          "de facto government", "self declared authority")),
        Term("local_authority", "Local authority",
             ("local authorities", "local government", "governor", "district commissioner", "municipality",
              "county commissioner", "mayor", "prefect", "line ministry", "ministry", "government official",
              "civil authority", "autorite locale")),
        Term("community_leader", "Community or traditional leader",
             ("community leader", "traditional leader", "elder", "elders", "chief", "tribal leader",
              "religious leader", "village head", "community committee", "sultan", "chef de village")),
        Term("militia", "Militia", ("militias", "self defence group", "self defense group", "vigilante",
                                    "vigilantes", "local militia", "tribal militia", "community defence force")),
        Term("other", "Other", ("criminal group", "criminals", "criminal", "gang", "private security",
                                "unknown", "other actor")),
    ),
)

COUNTERPART_LEVELS = Vocabulary(
    "counterpart_level",
    (
        Term("frontline", "Frontline", ("checkpoint", "field", "local", "low", "checkpoint commander",
                                        "ground level", "tactical")),
        Term("mid", "Mid-level", ("middle", "mid level", "medium", "district", "sector", "operational")),
        Term("senior", "Senior", ("high", "high level", "top", "leadership", "national", "strategic",
                                  "command")),
    ),
)

CHANNELS = Vocabulary(
    "channel",
    (
        Term("in_person", "In person", ("face to face", "meeting", "in person meeting", "visit", "direct",
                                        "at checkpoint", "on site", "en personne")),
        Term("phone", "Phone", ("telephone", "call", "phone call", "mobile", "whatsapp", "whatsapp call",
                                "satellite phone", "sat phone", "thuraya", "signal", "telephone call")),
        Term("intermediary", "Through an intermediary",
             ("through an intermediary", "via intermediary", "intermediary", "mediator", "through elders",
              "through community leader", "facilitator", "third party", "through ngo", "indirect")),
        Term("written", "Written", ("letter", "email", "e mail", "note verbale", "official letter", "writing",
                                    "in writing", "written request", "notification letter", "courrier")),
    ),
)

ACTIVITIES = Vocabulary(
    "activity",
    (
        Term("staff_movement", "Movement of staff",
             ("movement of staff", "staff movement", "movement", "travel", "mission", "field mission",
              "staff travel", "road movement", "passage")),
        Term("goods_delivery", "Delivery of goods",
             ("delivery of goods", "convoy", "aid convoy", "humanitarian convoy", "cargo", "delivery",
              "supplies", "food delivery", "distribution", "truck movement", "transport of supplies")),
        Term("assessment", "Assessment", ("needs assessment", "rapid assessment", "survey", "evaluation",
                                          "monitoring visit", "monitoring", "mission d evaluation")),
        Term("medical_evacuation", "Medical evacuation", ("medevac", "medical evacuation", "casevac",
                                                          "referral", "ambulance", "patient transfer")),
        Term("protection_visit", "Protection visit", ("protection", "protection monitoring", "detention visit",
                                                      "protection mission")),
        Term("presence", "Presence or office", ("presence", "office", "office opening", "establish presence",
                                                "base", "compound", "registration of office")),
        Term("programme_implementation", "Programme implementation",
             ("programme", "program", "implementation", "project implementation", "service delivery",
              "mobile clinic", "vaccination campaign", "vaccination")),
    ),
)

PRIORITIES = Vocabulary(
    "priority",
    (
        Term("high", "High", ("urgent", "critical", "1", "p1", "life saving", "lifesaving", "very high")),
        Term("medium", "Medium", ("normal", "2", "p2", "moderate", "med")),
        Term("low", "Low", ("3", "p3", "routine")),
    ),
)

CHECKPOINT_KINDS = Vocabulary(
    "checkpoint_kind",
    (
        Term("fixed", "Fixed checkpoint", ("checkpoint", "staffed checkpoint", "permanent checkpoint", "fixed",
                                           "static checkpoint", "barrier checkpoint")),
        Term("partial", "Partial checkpoint", ("partial checkpoint", "partially staffed")),
        Term("mobile", "Mobile checkpoint", ("flying checkpoint", "temporary checkpoint", "mobile", "mobile cp")),
        Term("border_crossing", "Border crossing", ("border", "crossing", "border crossing point",
                                                    "crossing point", "border post", "frontline crossing")),
        Term("road_gate", "Road gate", ("gate", "road gate", "agricultural gate")),
        Term("roadblock", "Roadblock", ("road block", "road barrier", "barrier", "earth wall", "trench",
                                        "earthmound", "earth mound")),
        Term("other", "Other", ()),
    ),
)

OBSTACLE_CATEGORIES = Vocabulary(
    "obstacle",
    (
        Term("denial_of_needs", "Denial of humanitarian needs or entitlement to assistance",
             ("denial of needs", "denial of the existence of humanitarian needs", "denial of entitlement",
              "needs denied", "refusal to recognise needs", "needs not recognised"),
             "1. Denial of the existence of humanitarian needs or of entitlement to assistance"),
        Term("restriction_of_people_access", "Restriction of people's access to services and assistance",
             ("restriction of people s access to services", "restriction of peoples access",
              "people prevented from reaching assistance", "people prevented from reaching services",
              "restriction and obstruction of access to services and assistance", "siege", "besieged",
              "civilians prevented from moving", "population movement restricted"),
             "2. Restriction and obstruction of people's access to services and assistance"),
        Term("entry_impediments", "Impediments to entering the country",
             ("impediments to enter the country", "impediments to entering the country", "visa denied",
              "visa delay", "visa delays", "work permit", "work permit denied", "customs clearance",
              "import restrictions", "bureaucratic impediments", "registration requirements",
              "entry denied"),
             "3. Impediments to entering the country (bureaucratic and administrative)"),
        Term("movement_restrictions", "Restriction of movement within the country",
             ("restriction of movement", "restriction of movement within the country", "movement restriction",
              "checkpoint delay", "checkpoint blockage", "checkpoint blockage or delay", "road closure",
              "road closed", "denial of travel permit", "travel permit denied", "travel authorisation denied",
              "curfew", "convoy detained", "convoy held", "convoy blocked", "closure", "roadblock",
              "permit delay", "movement denied"),
             "4. Restriction of movement within the country (checkpoints, permits, closures)"),
        Term("interference", "Interference in the implementation of humanitarian activities",
             ("interference in implementation", "interference in the implementation of humanitarian activities",
              "interference with programming", "interference in programming", "pressure to sign an mou",
              "pressure to sign mou", "interference with staff recruitment", "illegal taxation",
              "illegal taxation or levies", "levies", "taxation", "fees demanded",
              "requests for staff lists", "request for staff lists", "staff list request",
              "requests for beneficiary data", "beneficiary data request",
              "interference in beneficiary selection", "diversion of aid", "aid diversion",
              "temporary suspension of a programme", "programme suspended", "permanent closure of a facility",
              "facility closed"),
             "5. Interference in the implementation of humanitarian activities"),
        Term("violence_against_personnel", "Violence against humanitarian personnel, facilities and assets",
             ("violence against personnel", "violence against humanitarian personnel facilities and assets",
              "looting of aid", "looting", "abduction or detention of staff", "abduction of staff",
              "detention of staff", "staff detained", "arrest of staff", "attack on staff", "assault",
              "threats", "threats against staff", "harassment", "carjacking", "vehicle seized",
              "attack on facility", "kidnapping"),
             "6. Violence against humanitarian personnel, facilities and assets"),
        Term("hostilities", "Ongoing insecurity or hostilities",
             ("ongoing hostilities", "ongoing insecurity", "insecurity", "armed clashes", "clashes", "fighting",
              "airstrikes", "air strikes", "shelling", "military operations", "active hostilities",
              "crossfire", "military offensive"),
             "7. Ongoing insecurity or hostilities affecting humanitarian assistance"),
        Term("explosive_ordnance", "Mines, IEDs and explosive remnants of war",
             ("mines", "landmines", "land mines", "ied", "ieds", "uxo", "erw", "explosive ordnance",
              "explosive remnants of war", "presence of mines", "contamination"),
             "8. Presence of mines, improvised explosive devices and explosive remnants of war"),
        Term("physical_environment", "Physical constraints in the environment",
             ("physical constraints", "physical environment", "flooding", "floods", "rainy season",
              "impassable road", "impassable roads", "road impassable", "bridge collapsed", "damaged bridge",
              "road damage", "terrain", "weather", "mud", "landslide", "snow", "sandstorm",
              "broken infrastructure"),
             "9. Physical constraints in the environment (terrain, weather, broken infrastructure)"),
    ),
)

CONDITIONS = Vocabulary(
    "condition",
    (
        Term("escort", "Escort", ("armed escort", "military escort", "police escort", "escort required",
                                  "escorted")),
        Term("staff_list", "Staff list", ("staff list", "list of staff", "names of staff", "staff names",
                                          "staff ids", "copies of staff ids")),
        Term("beneficiary_list", "Beneficiary list", ("beneficiary list", "beneficiary data",
                                                      "list of beneficiaries", "beneficiary lists")),
        Term("fee", "Fee or payment", ("fee", "fees", "payment", "tax", "levy", "facilitation fee",
                                       "toll", "passage fee", "cash payment")),
        Term("inspection", "Inspection or search", ("inspection", "cargo inspection", "cargo search",
                                                    "vehicle search", "search of vehicles", "search")),
        Term("prior_notification", "Prior notification", ("notification", "advance notice",
                                                          "prior notice", "notify in advance")),
        Term("route_change", "Change of route", ("route change", "alternative route", "different route",
                                                 "change route")),
        Term("time_window", "Time restriction", ("time restriction", "daylight only", "time window",
                                                 "daytime only", "limited hours", "curfew hours")),
        Term("reduced_team", "Reduced or restricted team",
             ("reduced team", "national staff only", "no international staff", "male staff only",
              "no female staff", "limited team size")),
        Term("mou", "Sign an MoU", ("mou", "sign mou", "memorandum of understanding", "agreement required")),
        Term("share_of_aid", "Share of assistance", ("share of assistance", "portion of aid", "share of aid",
                                                     "part of the cargo")),
        Term("local_hiring", "Hire local staff", ("local hiring", "hire local staff", "local recruitment",
                                                  "recruit from community")),
        Term("other", "Other condition", ()),
    ),
)

VOCABULARIES: dict[str, Vocabulary] = {
    v.name: v
    for v in (OUTCOMES, COUNTERPART_TYPES, COUNTERPART_LEVELS, CHANNELS, ACTIVITIES, PRIORITIES,
              CHECKPOINT_KINDS, OBSTACLE_CATEGORIES, CONDITIONS)
}
