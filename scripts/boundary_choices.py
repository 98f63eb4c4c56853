"""The hand-checked choices behind the boundaries extract: demo countries, overrides, splits, absences.

Each entry was checked by hand against the OCHA P-code list; ``build_boundaries.py`` applies them and
reports what the automatic match would have been.
"""

from __future__ import annotations

from dataclasses import dataclass

EHA = "East and Horn of Africa"
MENA = "Middle East and North Africa"
ASIA = "Asia"
WCA = "West and Central Africa"
EEU = "Eastern Europe"
LAC = "Latin America and Caribbean"
REGIONS = (EHA, MENA, ASIA, WCA, EEU, LAC)


@dataclass(frozen=True)
class Country:
    """A demo country: ISO3, English short name, operational region and how to read Natural Earth.

    ``ne_adm0`` is Natural Earth's ``adm0_a3`` for the country when it differs from the ISO3 code.
    ``match_on`` is ``"name"`` when Natural Earth's polygons are the OCHA admin-1 areas, or
    ``"region"`` when they are smaller units whose Natural Earth ``region`` property names the
    OCHA admin-1 area (the polygons are then dissolved).
    """

    iso3: str
    name: str
    region: str
    ne_adm0: str = ""
    match_on: str = "name"


DEMO_COUNTRIES: tuple[Country, ...] = (
    Country("SSD", "South Sudan", EHA, ne_adm0="SDS"),
    Country("UGA", "Uganda", EHA, match_on="region"),
    Country("YEM", "Yemen", MENA),
    Country("SYR", "Syria", MENA),
    Country("IRQ", "Iraq", MENA),
    Country("AFG", "Afghanistan", ASIA),
    Country("PAK", "Pakistan", ASIA),
    Country("CAF", "Central African Republic", WCA),
    Country("NGA", "Nigeria", WCA),
    Country("BFA", "Burkina Faso", WCA, match_on="region"),
    Country("NER", "Niger", WCA),
    Country("UKR", "Ukraine", EEU),
)

# Natural Earth polygons filed under another country in Natural Earth's default point of view
# that the OCHA P-code list (and the UN) places in the demo country: NE adm1_code -> ISO3.
EXTRA_NE_FEATURES: dict[str, str] = {
    "RUS-283": "UKR",  # Crimea (iso_3166_2 UA-43)
    "RUS-5482": "UKR",  # Sevastopol (iso_3166_2 UA-40)
}

# Hand-checked assignments: (ISO3, Natural Earth ``name`` or, where the name is ambiguous,
# ``adm1_code``) -> (OCHA P-code, why).
OVERRIDES: dict[tuple[str, str], tuple[str, str]] = {
    ("AFG", "AFG-1769"): (
        "AF08",
        "NE 'Parwan' polygon whose gn_name is 'Panjshir': Panjshir province, split from Parwan in 2004",
    ),
    ("AFG", "AFG-1753"): (
        "AF24",
        "NE 'Uruzgan' polygon whose gn_name/woe_name is 'Daykundi': Daykundi province, split from "
        "Uruzgan in 2004",
    ),
    ("YEM", "Amanat Al Asimah"): (
        "YE13",
        "Amanat al-Asimah is Sana'a City; its name_en 'Sanaa' would otherwise hit Sana'a governorate",
    ),
    ("SYR", "Rif Dimashq"): (
        "SY03",
        "Rif Dimashq is Arabic for Rural Damascus; its woe_name 'Damascus' would otherwise hit SY01",
    ),
    ("SYR", "UNDOF"): (
        "SY14",
        "UN Disengagement Observer Force zone (SYR-5261), shown separately by NE; it lies in "
        "Quneitra governorate and is dissolved into it",
    ),
    ("IRQ", "Ninawa"): ("IQG15", "Ninawa = Ninewa (fuzzy score 83, below the threshold)"),
    ("IRQ", "Karbala'"): ("IQG12", "Karbala' = Kerbala (fuzzy score 86, below the threshold)"),
    ("IRQ", "Al-Qādisiyyah"): ("IQG05", "Al-Qadisiyah = Al-Qadissiya (fuzzy score 89, below the threshold)"),
    ("PAK", "F.A.T.A."): (
        "PK5",
        "Federally Administered Tribal Areas, merged into Khyber Pakhtunkhwa in 2018; dissolved into it",
    ),
    ("UKR", "Kiev"): (
        "UA32",
        "Kyiv oblast (NE name_en 'Kyiv' would otherwise hit Kyiv city, UA80)",
    ),
}


@dataclass(frozen=True)
class Split:
    """Parts of a Natural Earth multipolygon that belong to another OCHA area.

    The parts of polygon ``adm1_code`` whose representative point lies inside ``bbox``
    (min lon, min lat, max lon, max lat) become ``pcode``.
    """

    iso3: str
    adm1_code: str
    bbox: tuple[float, float, float, float]
    pcode: str
    why: str


SPLITS: tuple[Split, ...] = (
    Split(
        "YEM",
        "YEM-3497",
        (51.5, 11.5, 55.0, 13.5),
        "YE32",
        "Socotra archipelago: governorate split from Hadramawt in 2013; NE still includes its islands in "
        "the Hadramawt multipolygon, which are separated here by a bounding box (51.5-55E, 11.5-13.5N)",
    ),
)

# OCHA admin-1 areas of a kept country that have no polygon of their own: (ISO3, P-code) -> why.
ABSENT_OK: dict[tuple[str, str], str] = {
    ("SSD", "SS00"): "Abyei Region: disputed area with no NE polygon (NE draws it inside Sudan's South "
    "Kordofan); left off the map",
}

# Countries from the starting list that were dropped: ISO3 -> (name, region, why).
DROPPED: dict[str, tuple[str, str, str]] = {
    "SDN": (
        "Sudan",
        EHA,
        "NE has 17 states from before 2013: no West Kordofan (SD18, re-created 2013 from North and "
        "South Kordofan), whose area NE splits between its North and South Kordofan polygons; Abyei "
        "PCA (SD19) has no polygon either",
    ),
    "ETH": (
        "Ethiopia",
        EHA,
        "NE has one Southern Nations (SNNP) polygon where OCHA has SNNP (ET07), Sidama (ET16, 2020) and "
        "South West Ethiopia (ET11, 2021)",
    ),
    "SOM": (
        "Somalia",
        EHA,
        "NE shows Somaliland as one polygon covering five OCHA regions (Awdal, Woqooyi Galbeed, "
        "Togdheer, Sool, Sanaag): 14 NE polygons against 18 OCHA regions",
    ),
    "MMR": (
        "Myanmar",
        ASIA,
        "NE has 14 states/regions; OCHA (MIMU) has 18, splitting Bago into East/West and Shan into "
        "North/South/East and adding Nay Pyi Taw",
    ),
}

# Other countries with humanitarian operations (not in the boundary extract).
OTHER_COUNTRIES: tuple[tuple[str, str, str], ...] = (
    ("SDN", "Sudan", EHA),
    ("ETH", "Ethiopia", EHA),
    ("SOM", "Somalia", EHA),
    ("KEN", "Kenya", EHA),
    ("DJI", "Djibouti", EHA),
    ("ERI", "Eritrea", EHA),
    ("BDI", "Burundi", EHA),
    ("RWA", "Rwanda", EHA),
    ("MOZ", "Mozambique", EHA),
    ("LBY", "Libya", MENA),
    ("LBN", "Lebanon", MENA),
    ("PSE", "Occupied Palestinian Territory", MENA),
    ("JOR", "Jordan", MENA),
    ("TUR", "Türkiye", MENA),
    ("EGY", "Egypt", MENA),
    ("IRN", "Iran", MENA),
    ("DZA", "Algeria", MENA),
    ("BGD", "Bangladesh", ASIA),
    ("MMR", "Myanmar", ASIA),
    ("PHL", "Philippines", ASIA),
    ("NPL", "Nepal", ASIA),
    ("PRK", "DPR Korea", ASIA),
    ("IDN", "Indonesia", ASIA),
    ("MLI", "Mali", WCA),
    ("TCD", "Chad", WCA),
    ("CMR", "Cameroon", WCA),
    ("COD", "Democratic Republic of the Congo", WCA),
    ("MRT", "Mauritania", WCA),
    ("COG", "Republic of the Congo", WCA),
    ("BEN", "Benin", WCA),
    ("TGO", "Togo", WCA),
    ("MDA", "Moldova", EEU),
    ("GEO", "Georgia", EEU),
    ("ARM", "Armenia", EEU),
    ("AZE", "Azerbaijan", EEU),
    ("HTI", "Haiti", LAC),
    ("COL", "Colombia", LAC),
    ("VEN", "Venezuela", LAC),
    ("ECU", "Ecuador", LAC),
    ("PER", "Peru", LAC),
    ("GTM", "Guatemala", LAC),
    ("HND", "Honduras", LAC),
    ("SLV", "El Salvador", LAC),
    ("PAN", "Panama", LAC),
    ("MEX", "Mexico", LAC),
)

# How names are matched (see build_boundaries.py).
COORD_DECIMALS = 4
FUZZY_THRESHOLD = 90.0
FUZZY_MARGIN = 5.0  # the best P-code must beat the best *other* P-code by this many points

# Natural Earth name fields tried for exact matches, most trusted first. ``name_alt`` holds
# several '|'-separated names; ``woe_name`` is sometimes the name of a neighbouring unit.
NAME_FIELDS: tuple[str, ...] = ("name", "name_en", "gn_name", "name_fr", "name_alt", "woe_name")
