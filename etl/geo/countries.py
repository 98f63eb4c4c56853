"""Country names and ISO3 codes, offline (hdx-python-country without its live download).

A log or a feed may write a country as ISO3, ISO2, or an English or French name; everything is
stored by ISO3.
"""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=4096)
def country_iso3(raw: str) -> str | None:
    """ISO3 code for a country written as ISO3, ISO2, or an English/French name (offline).

    >>> country_iso3("Soudan")
    'SDN'
    >>> country_iso3("DRC")
    'COD'
    >>> country_iso3("Atlantis") is None
    True
    """
    from hdx.location.country import Country

    Country.set_use_live_default(False)
    text = raw.strip()
    if not text:
        return None
    iso3 = Country.get_iso3_country_code(text)
    if iso3 is None:
        iso3, _exact = Country.get_iso3_country_code_fuzzy(text)
    return iso3.upper() if iso3 else None


@lru_cache(maxsize=512)
def country_name(iso3: str) -> str:
    from hdx.location.country import Country

    Country.set_use_live_default(False)
    return Country.get_country_name_from_iso3(iso3) or iso3
