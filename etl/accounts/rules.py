"""What may be stored: usernames, passwords and regions checked before any change; the demo users; the hasher.

:class:`etl.accounts.users.UserStore` calls these before it writes; each refusal is a
:class:`etl.accounts.records.UserError` that says how to fix it.
"""

from __future__ import annotations

import csv
import re
import secrets
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher

from etl.accounts.records import UserError
from etl.config import Settings
from etl.errors import ConfigError

# Region of countries missing from regions.csv (etl.geo.areas.REGION_FALLBACK; not imported from there
# because etl.geo.areas pulls in geopandas and the sign-in page should start fast).
OTHER_REGION = "Other"
MAX_PASSWORD_CHARS = 1024  # argon2 takes any length; a megabyte "password" would only be a nuisance
USERNAME_RE = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    role: str
    regions: tuple[str, ...]
    display_name: str


# Published on purpose (README, sign-in page): the demo is for trying the app, never for real logs.
DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("demo-hq", "demo-hq", "hq", (), "Demo HQ analyst"),
    DemoUser("demo-coordinator", "demo-coordinator", "coordinator", ("Middle East and North Africa",),
             "Demo coordinator, Middle East and North Africa"),
    DemoUser("demo-negotiator", "demo-negotiator", "negotiator", ("East and Horn of Africa",),
             "Demo negotiator, East and Horn of Africa"),
    DemoUser("demo-admin", "demo-admin", "admin", (), "Demo admin"),
)


def check_password(password: str, username: str, settings: Settings) -> str:
    """The password as it will be hashed (Unicode-normalised), or :class:`UserError` saying how to fix it.

    >>> check_password("short", "amina", Settings())
    Traceback (most recent call last):
    ...
    etl.accounts.records.UserError: The password has 5 characters; it needs at least 12. A phrase of three or four unrelated words is long enough and easy to remember.
    """
    password = _normalise(password)
    if not password.strip():
        raise UserError("The password is empty or only spaces.", "Choose a phrase of three or four unrelated words.")
    if len(password) < settings.password_min_length:
        raise UserError(f"The password has {len(password)} characters; it needs at least "
                        f"{settings.password_min_length}.",
                        "A phrase of three or four unrelated words is long enough and easy to remember.")
    if len(password) > MAX_PASSWORD_CHARS:
        raise UserError(f"The password has {len(password):,} characters; at most {MAX_PASSWORD_CHARS:,} are "
                        "accepted.", "Choose a shorter one.")
    if password.strip().casefold() == username.casefold():
        raise UserError("The password is the username.", "Choose something nobody could guess from the username.")
    if password in {d.password for d in DEMO_USERS}:
        raise UserError("That is a published demo password.", "Choose a password of your own.")
    return password


def _normalise(password: str) -> str:
    # The same characters typed on two keyboards can arrive composed or decomposed; hash one form.
    return unicodedata.normalize("NFC", password)


def normalise_username(username: str) -> str:
    return username.strip().lower()


def check_username(username: str) -> str:
    """The username as stored (lower case), or :class:`UserError` saying what is accepted."""
    name = normalise_username(username)
    if not USERNAME_RE.fullmatch(name):
        raise UserError(f"'{username}' is not a usable username.",
                        "Use 2 to 64 letters, digits, dots, dashes or underscores, starting with a letter or "
                        "digit (e.g. amina.hassan).")
    return name


def known_regions(regions_csv: Path) -> tuple[str, ...]:
    """The operational region names in the regions CSV (column ``region``), plus ``Other``."""
    try:
        with open(regions_csv, encoding="utf-8", newline="") as fh:
            names = {(row.get("region") or "").strip() for row in csv.DictReader(fh)}
    except FileNotFoundError:
        raise ConfigError(f"The regions file {regions_csv} does not exist.",
                          "Set ACCESS_REGIONS to a CSV with columns iso3,country,region.") from None
    names.discard("")
    return tuple(sorted(names | {OTHER_REGION}))


def parse_regions(text: str | Iterable[str]) -> list[str]:
    """``"Asia, Eastern Europe"`` or a list of names -> names, blanks dropped, order kept."""
    items = text.split(",") if isinstance(text, str) else list(text)
    return list(dict.fromkeys(i.strip() for i in items if i and i.strip()))


def make_hasher(settings: Settings) -> PasswordHasher:
    """An argon2id hasher with the configured cost (tests lower it through the settings)."""
    if settings.argon2_memory_kib < 8 * settings.argon2_parallelism:
        raise ConfigError(f"ACCESS_ARGON2_MEMORY_KIB={settings.argon2_memory_kib} is too small for "
                          f"ACCESS_ARGON2_PARALLELISM={settings.argon2_parallelism}.",
                          "argon2 needs at least 8 KiB per lane: raise the memory or lower the parallelism.")
    return PasswordHasher(time_cost=settings.argon2_time_cost, memory_cost=settings.argon2_memory_kib,
                          parallelism=settings.argon2_parallelism)


@lru_cache(maxsize=8)
def _dummy_hash(time_cost: int, memory_cost: int, parallelism: int) -> str:
    """A hash of a random secret with the live parameters: unknown usernames are checked against it."""
    hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)
    return hasher.hash(secrets.token_urlsafe(24))
