"""The patterns the demo embeds for a coordinator to find, and the base rates they stand out from.

Restrictive counterparts, the offensive, the seasons, signature checkpoint obstacles, outcome
rates by counterpart type and region, request shares and counterpart types by office, and
which conditions and obstacles each type of counterpart brings. The package docstring
(:mod:`etl.demo`) describes the patterns in words.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from etl.demo.constants import T_COMMUNITY, T_DFA, T_LOCAL, T_MILITIA, T_NSAG, T_OTHER, T_POLICE, T_STATE

# ----------------------------------------------------------------------------- pattern settings

# (iso3, canonical name, type, affiliation, level, controls a checkpoint)
RESTRICTIVE_COUNTERPARTS: tuple[tuple[str, str, int, str, str, bool], ...] = (
    ("YEM", "Col. Idris Bakhit", T_STATE, "23rd Mechanised Brigade", "mid", True),
    ("AFG", "Mawlawi Rahmatullah Safi", T_DFA, "De facto provincial administration", "senior", False),
    ("NGA", "Cmdr. Musa Garba Tanko", T_NSAG, "Dunkura Hills Front", "mid", True),
)
RESTRICTIVE_SHARE = 0.02  # of all engagements, each (their requests have one engagement)
MEAN_ENGAGEMENTS_PER_REQUEST = 1.49  # 1, 2 or 3 with probabilities 0.62, 0.27, 0.11
DENIAL_START, DENIAL_END = 0.10, 0.65

# Offensive: first (iso3, admin-1 name) present in the boundaries.
OFFENSIVE_AREAS = (("SSD", "Upper Nile"), ("SDN", "South Kordofan"), ("NGA", "Borno"), ("SYR", "Idleb"))
OFFENSIVE_MONTHS_BEFORE_END = 21
OFFENSIVE_DAYS = 120
OFFENSIVE_EASE_DAYS = 60
OFFENSIVE_DENIAL = 0.72
OFFENSIVE_AREA_SHARE = 0.22  # of the country's requests outside the offensive
OFFENSIVE_SURGE = 0.5  # of the country's requests during the offensive move to the area

# iso3 -> (months, labels): physical obstacles and more deferrals in these months.
SEASONS: dict[str, tuple[tuple[int, ...], tuple[str, ...]]] = {
    "SSD": ((6, 7, 8, 9, 10), ("impassable road", "flooding", "road impassable", "mud", "damaged bridge",
                               "rainy season", "floods")),
    "SDN": ((6, 7, 8, 9, 10), ("impassable road", "flooding", "road impassable", "mud", "damaged bridge",
                               "rainy season")),
    "AFG": ((12, 1, 2), ("snow", "impassable road", "road impassable", "landslide", "snow", "weather")),
}
SEASON_OBSTACLE_P = 0.55
SEASON_DEFERRAL_FACTOR = 3.0

HOSTILITY_LABELS = ("military operations", "armed clashes", "shelling", "fighting", "airstrikes",
                    "military operations", "armed clashes")
CHECKPOINT_SHARE = 0.5  # of engagements that happen at a checkpoint
SIGNATURE_SHARE = 0.20
SIGNATURE_P = 0.80
# signature obstacle by the controlling counterpart's type
SIGNATURE_LABELS = {
    T_STATE: ("checkpoint delay", "convoy detained", "checkpoint blockage or delay",
              "requests for staff lists"),
    T_POLICE: ("checkpoint delay", "requests for staff lists", "harassment"),
    T_NSAG: ("illegal taxation", "illegal taxation or levies", "checkpoint delay", "looting of aid"),
    T_DFA: ("requests for staff lists", "requests for beneficiary data", "checkpoint delay"),
    T_MILITIA: ("illegal taxation", "illegal taxation or levies", "harassment"),
    T_LOCAL: ("checkpoint delay",),
    T_COMMUNITY: ("checkpoint delay",),
    T_OTHER: ("illegal taxation",),
}

# -------------------------------------------------------------------------------- base rates

# Outcome probabilities for a request's final engagement, by counterpart type:
# granted, with conditions, partial, denied, deferred, no response.
BASE_OUTCOMES = np.array([
    [0.40, 0.20, 0.08, 0.14, 0.12, 0.06],  # state armed forces
    [0.48, 0.15, 0.07, 0.10, 0.13, 0.07],  # police
    [0.30, 0.22, 0.08, 0.18, 0.10, 0.12],  # NSAG
    [0.30, 0.28, 0.08, 0.16, 0.14, 0.04],  # de facto authority
    [0.52, 0.10, 0.08, 0.06, 0.18, 0.06],  # local authority
    [0.60, 0.10, 0.10, 0.04, 0.10, 0.06],  # community leader
    [0.32, 0.24, 0.08, 0.16, 0.08, 0.12],  # militia
    [0.30, 0.10, 0.05, 0.20, 0.10, 0.25],  # other
])
# Denial multiplier by operational region.
REGION_DENIAL = {"Middle East and North Africa": 1.25, "Asia": 1.1, "West and Central Africa": 1.15,
                 "East and Horn of Africa": 0.95, "Eastern Europe": 0.8}

# Share of requests by office (others 0.06), and counterpart types by office.
COUNTRY_WEIGHT = {"SSD": 0.12, "AFG": 0.12, "YEM": 0.11, "SYR": 0.10, "NGA": 0.10, "UKR": 0.08, "BFA": 0.08,
                  "CAF": 0.07, "IRQ": 0.06, "NER": 0.06, "PAK": 0.05, "UGA": 0.05}
#                state police nsag  dfa  local comm militia other
TYPE_MIX = {
    "SSD": (0.22, 0.04, 0.12, 0.00, 0.20, 0.22, 0.18, 0.02),
    "SDN": (0.30, 0.03, 0.25, 0.00, 0.15, 0.13, 0.12, 0.02),
    "UGA": (0.20, 0.15, 0.03, 0.00, 0.30, 0.25, 0.02, 0.05),
    "YEM": (0.16, 0.05, 0.08, 0.25, 0.14, 0.14, 0.15, 0.03),
    "SYR": (0.12, 0.05, 0.18, 0.22, 0.14, 0.14, 0.12, 0.03),
    "IRQ": (0.25, 0.15, 0.02, 0.00, 0.28, 0.15, 0.12, 0.03),
    "AFG": (0.00, 0.10, 0.03, 0.45, 0.08, 0.28, 0.02, 0.04),
    "PAK": (0.25, 0.20, 0.05, 0.00, 0.28, 0.18, 0.01, 0.03),
    "CAF": (0.12, 0.04, 0.30, 0.00, 0.14, 0.16, 0.20, 0.04),
    "NGA": (0.25, 0.06, 0.18, 0.00, 0.15, 0.16, 0.17, 0.03),
    "BFA": (0.28, 0.04, 0.16, 0.00, 0.14, 0.18, 0.16, 0.04),
    "NER": (0.28, 0.08, 0.14, 0.00, 0.18, 0.20, 0.08, 0.04),
    "UKR": (0.38, 0.14, 0.00, 0.00, 0.33, 0.10, 0.00, 0.05),
}
DEFAULT_TYPE_MIX = (0.22, 0.08, 0.18, 0.03, 0.17, 0.17, 0.12, 0.03)
FRENCH_OFFICES = frozenset({"CAF", "BFA", "NER", "MLI", "TCD", "COD", "CMR", "HTI", "COG", "BEN", "TGO",
                            "MRT"})

# ------------------------------------------------------------------------ conditions and obstacles

ACTIVITY_WEIGHTS = {"staff_movement": 30, "goods_delivery": 25, "assessment": 12, "medical_evacuation": 5,
                    "protection_visit": 6, "presence": 7, "programme_implementation": 15}

# Conditions: internal item -> labels (all map to the vocab code of the item's prefix).
CONDITION_ITEMS: dict[str, tuple[str, ...]] = {
    "escort_military": ("Military escort", "Armed escort", "Escort required"),
    "escort_police": ("Police escort", "Escort required"),
    "staff_list": ("Staff list", "List of staff", "Names of staff", "Copies of staff IDs"),
    "beneficiary_list": ("Beneficiary list", "List of beneficiaries", "Beneficiary data"),
    "fee": ("Fee", "Passage fee", "Toll", "Facilitation fee", "Cash payment", "Levy"),
    "inspection": ("Cargo inspection", "Vehicle search", "Inspection", "Cargo search"),
    "prior_notification": ("Prior notification", "Advance notice", "Notify in advance"),
    "route_change": ("Route change", "Alternative route"),
    "time_window": ("Daylight only", "Time window", "Limited hours"),
    "reduced_team": ("National staff only", "Reduced team", "No international staff", "Male staff only"),
    "mou": ("Sign MoU", "MoU", "Memorandum of understanding"),
    "share_of_aid": ("Share of assistance", "Portion of aid"),
    "local_hiring": ("Hire local staff", "Local recruitment"),
}
CONDITION_NAMES = tuple(CONDITION_ITEMS)
_CW: dict[int, dict[str, float]] = {
    T_STATE: {"escort_military": 6, "prior_notification": 1.5, "time_window": 1, "inspection": 1,
              "route_change": 0.5, "staff_list": 0.5},
    T_POLICE: {"escort_police": 5, "inspection": 1.5, "prior_notification": 1.5, "time_window": 0.5},
    T_NSAG: {"fee": 2, "share_of_aid": 1, "route_change": 1, "time_window": 1, "reduced_team": 0.5,
             "escort_military": 0.3},
    T_DFA: {"staff_list": 6, "mou": 1.5, "reduced_team": 1.5, "beneficiary_list": 1.2, "local_hiring": 0.8,
            "prior_notification": 0.5},
    T_LOCAL: {"prior_notification": 2.5, "beneficiary_list": 2, "local_hiring": 1.5, "mou": 1,
              "staff_list": 0.8},
    T_COMMUNITY: {"local_hiring": 2.5, "beneficiary_list": 2, "route_change": 0.5, "share_of_aid": 0.5},
    T_MILITIA: {"fee": 3, "share_of_aid": 1.5, "escort_military": 0.5, "route_change": 0.5},
    T_OTHER: {"fee": 4, "route_change": 1},
}
# Generic obstacles (sub-type labels) by counterpart type.
_OW: dict[int, dict[str, float]] = {
    T_STATE: {"denial of travel permit": 3, "checkpoint blockage or delay": 3, "convoy detained": 1.5,
              "military operations": 1.5, "curfew": 1, "road closure": 1, "harassment": 0.5,
              "requests for staff lists": 0.7, "shelling": 0.4,
              "people prevented from reaching assistance": 0.3},
    T_POLICE: {"checkpoint delay": 3, "permit delay": 2, "arrest of staff": 0.5, "harassment": 1,
               "requests for staff lists": 1, "bureaucratic impediments": 1},
    T_NSAG: {"illegal taxation or levies": 2.5, "threats against staff": 1.5, "looting of aid": 1,
             "abduction or detention of staff": 0.4, "armed clashes": 1.5, "presence of mines": 0.6,
             "IEDs": 0.5,
             "checkpoint blockage or delay": 1.5, "interference in beneficiary selection": 0.8},
    T_DFA: {"interference with programming": 2.5, "pressure to sign an MoU": 2,
            "interference with staff recruitment": 1.5, "requests for beneficiary data": 1.5,
            "denial of travel permit": 1.5, "temporary suspension of a programme": 0.5,
            "registration requirements": 1, "permanent closure of a facility": 0.2, "visa delays": 0.5},
    T_LOCAL: {"bureaucratic impediments": 2.5, "permit delay": 2,
              "interference in beneficiary selection": 1.5,
              "registration requirements": 1, "requests for beneficiary data": 1, "needs not recognised": 0.4,
              "customs clearance": 0.4, "visa delays": 0.3},
    T_COMMUNITY: {"interference in beneficiary selection": 2, "population movement restricted": 0.8,
                  "threats": 0.5, "needs not recognised": 0.6, "impassable road": 1},
    T_MILITIA: {"illegal taxation or levies": 3, "roadblock": 1.5, "looting of aid": 1.2, "harassment": 1.2,
                "threats against staff": 1, "carjacking": 0.5, "armed clashes": 0.8},
    T_OTHER: {"carjacking": 2, "looting": 2, "threats": 1.5, "insecurity": 2, "kidnapping": 0.5},
}
_MINES_COUNTRIES: dict[str, dict[str, float]] = {
    "UKR": {"UXO": 1.2, "explosive remnants of war": 0.8, "presence of mines": 1.0},
    "SYR": {"UXO": 0.8, "explosive remnants of war": 0.5},
    "AFG": {"presence of mines": 0.6, "UXO": 0.5},
    "IRQ": {"explosive remnants of war": 0.6},
}
# number of generic obstacles (0, 1, 2) by outcome
_N_OBST = np.array([[0.80, 0.18, 0.02], [0.45, 0.45, 0.10], [0.35, 0.50, 0.15], [0.10, 0.55, 0.35],
                    [0.40, 0.45, 0.15], [0.55, 0.35, 0.10]])


def _obstacle_labels() -> list[str]:
    labels: list[str] = []
    sources: list[Sequence[str]] = [list(d) for d in _OW.values()]
    sources += [list(d) for d in _MINES_COUNTRIES.values()]
    sources += [s[1] for s in SEASONS.values()] + [HOSTILITY_LABELS] + list(SIGNATURE_LABELS.values())
    for src in sources:
        for label in src:
            if label not in labels:
                labels.append(label)
    return labels


OBSTACLE_LABELS = tuple(_obstacle_labels())
_OBST_INDEX = {label: i for i, label in enumerate(OBSTACLE_LABELS)}
