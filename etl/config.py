"""Typed settings, with defaults, help strings and environment-variable overrides.

Every setting can be set with an environment variable ``ACCESS_<NAME>`` (for example
``ACCESS_DB=/srv/access/access.duckdb``). ``docs/configuration.md`` lists them all and a test
checks that every setting is documented there.
"""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = REPO_ROOT / "data"


def normalise_origin(text: str) -> str:
    """``scheme://host[:port]`` as a browser writes it in an ``Origin`` header: lower case, no default port.

    >>> normalise_origin("HTTPS://Access.Example.org:443/")
    'https://access.example.org'
    >>> normalise_origin("http://[::1]:8501")
    'http://[::1]:8501'

    :param text: an origin as a person writes it (a trailing slash is accepted).
    :raises ValueError: anything else (a path, a query, user info, another scheme), saying what to write.
    """
    raw = text.strip()
    hint = (f"{raw!r} is not an origin. Write scheme://host[:port], exactly as the address bar shows the "
            "dashboard, without a path: for example https://access.example.org or http://10.0.0.5:8501.")
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError:
        raise ValueError(hint) from None
    if (parts.scheme.lower() not in ("http", "https") or not parts.hostname or parts.username or parts.password
            or parts.path not in ("", "/") or parts.query or parts.fragment or not re.fullmatch(r"[\w.:\[\]-]+",
                                                                                                  parts.netloc)):
        raise ValueError(hint)
    scheme, host = parts.scheme.lower(), parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    default = 443 if scheme == "https" else 80
    return f"{scheme}://{host}" + (f":{port}" if port is not None and port != default else "")


class Settings(BaseSettings):
    """Settings shared by the ETL and the dashboard."""

    model_config = SettingsConfigDict(env_prefix="ACCESS_", extra="ignore")

    db: Path = Field(
        DATA_DIR / "access.duckdb",
        description="DuckDB database file. The CLI's --db overrides it.",
    )
    boundaries: Path = Field(
        DATA_DIR / "boundaries" / "admin1.geojson",
        description="Admin-1 boundaries (GeoJSON with pcode, name, iso3 properties) used to place rows on areas.",
    )
    regions: Path = Field(
        DATA_DIR / "regions.csv",
        description="CSV iso3,country,region assigning each country to an operational region.",
    )
    day_first: bool = Field(
        True,
        description="Read ambiguous numeric dates such as 05/03/2025 as day/month (5 March) unless the file "
        "itself shows otherwise.",
    )
    future_days: int = Field(
        30,
        ge=0,
        description="Engagement dates more than this many days after today are rejected as typos.",
    )
    earliest_year: int = Field(1990, description="Engagement dates before 1 January of this year are rejected.")
    country_tolerance_km: float = Field(
        15.0,
        ge=0,
        description="How far outside its country's simplified boundary a point may fall and still be accepted "
        "(boundaries are simplified; borders are approximate).",
    )
    lock_timeout_s: float = Field(
        900.0,
        ge=0,
        description="How long a load waits for another load on the same database to finish.",
    )
    decisions: Path | None = Field(
        None,
        description="CSV file mirroring the counterpart merge/split decisions, so that they survive rebuilding the "
        "database from the logs. Unset (the default): `<database stem>.counterpart_decisions.csv` beside the "
        "database.",
    )
    tile_url: str | None = Field(
        None,
        description="Optional map tile URL template ({z}/{x}/{y}), for offices with a tile server or internet. "
        "Unset (the default), the map draws its own country and area outlines and requests nothing outside.",
    )
    users_file: Path | None = Field(
        None,
        description="JSON file of the people who may sign in (argon2id password hashes, roles, regions), managed "
        "with `python -m etl users ...`. Unset (the default): `users.json` beside the database.",
    )
    audit_file: Path | None = Field(
        None,
        description="Append-only JSON Lines audit log (sign-ins, profile views, uploads, loads, exports, user "
        "changes). Unset (the default): `<database stem>.audit.jsonl` beside the database.",
    )
    signin_max_failures: int = Field(
        5,
        ge=1,
        description="Wrong passwords in a row after which an account is locked for `signin_lock_minutes`.",
    )
    signin_lock_minutes: float = Field(
        15.0,
        gt=0,
        description="How long an account stays locked after `signin_max_failures` wrong passwords.",
    )
    signin_delay_s: float = Field(
        1.0,
        ge=0,
        le=3600,
        description="Wait after a refused sign-in before the same username may try again; it doubles with each "
        "further failure, up to 30 s. Kept by the server, so a new page or tab does not skip it.",
    )
    signin_address_max_failures: int = Field(
        20,
        ge=1,
        description="Refused sign-ins from one client address within `signin_address_window_minutes` after which "
        "that address is refused, whatever the username and password, until the oldest of them is that old.",
    )
    signin_address_window_minutes: float = Field(
        15.0,
        gt=0,
        description="The window of `signin_address_max_failures`.",
    )
    trusted_proxies: str = Field(
        "",
        description="Comma-separated addresses or networks of reverse proxies in front of the app, whose "
        "X-Forwarded-For header names the client address (for the per-address limit and the audit log). Empty: "
        "the header is ignored (anyone can write it) and the connection's address counts.",
    )
    session_idle_hours: float = Field(
        8.0,
        gt=0,
        description="A signed-in session ends after this long without use.",
    )
    session_max_hours: float = Field(
        12.0,
        gt=0,
        description="A signed-in session ends this long after sign-in, however active.",
    )
    rejected_rows_shown: int = Field(
        1000,
        ge=10,
        le=100_000,
        description="How many rejected rows (problems) the Data page draws; its download holds up to 200,000 "
        "and `python -m etl status --rejected` lists them all. A table of thousands is slow to draw.",
    )
    small_cell_k: int = Field(
        5,
        ge=2,
        description="For users who see names pseudonymised (hq), on screen and in exports, counts below this read "
        "\"< k\", shares of fewer engagements are left out and narrower filters show no figure "
        "(dashboard/db/disclosure.py), so that one engagement cannot be singled out.",
    )
    password_min_length: int = Field(
        12,
        ge=8,
        description="Shortest password accepted for a (non-demo) user.",
    )
    argon2_time_cost: int = Field(
        3,
        ge=1,
        description="argon2id passes over memory when hashing a password (higher: slower to guess, slower sign-in).",
    )
    argon2_memory_kib: int = Field(
        65536,
        ge=8,
        description="argon2id memory per hash in KiB (64 MiB by default).",
    )
    argon2_parallelism: int = Field(
        4,
        ge=1,
        description="argon2id lanes per hash.",
    )
    unpacked_max_mb: int = Field(
        200,
        ge=1,
        description="A workbook (.xlsx) or zipped shapefile whose contents would unpack to more than this many MB "
        "is refused before it is read (the workbook reader needs several times that in memory). Split larger "
        "workbooks, or raise this for a file you trust.",
    )
    unpacked_max_ratio: int = Field(
        100,
        ge=2,
        description="A member of a workbook or zip that unpacks to more than this many times its packed size "
        "(and to over 1 MB) is refused before it is read: files built to exhaust memory (\"zip bombs\") look "
        "like this. Ordinary workbooks unpack to 5 to 30 times their size.",
    )
    upload_max_mb: int = Field(
        100,
        ge=1,
        description="Largest log the Data page accepts for upload, in MB. Keep `server.maxUploadSize` in "
        ".streamlit/config.toml (which makes the browser refuse larger files first) the same. Larger logs load "
        "with `python -m etl load` on the server.",
    )
    db_key: SecretStr | None = Field(
        None,
        description="Key that encrypts the database file (DuckDB's own AES encryption); never printed. Unset, "
        "with no `db_key_file` either, it is read from `db_key` in .streamlit/secrets.toml if there; unset "
        "everywhere, the database is not encrypted.",
    )
    db_key_file: Path | None = Field(
        None,
        description="A file holding the database key (its first line), readable by its owner only, instead of "
        "`db_key`.",
    )
    warehouse: SecretStr | None = Field(
        None,
        description="The shared warehouse's catalog: a PostgreSQL URL, postgresql://USER:PASSWORD@HOST:PORT/DBNAME "
        "(never printed: it holds a password). Set, loads write into a DuckLake warehouse (catalog in PostgreSQL, "
        "data as Parquet files in `warehouse_data`) instead of the database file `db`; unset (the default), the "
        "single DuckDB file. See docs/deployment.md.",
    )
    warehouse_data: Path | None = Field(
        None,
        description="The folder where the warehouse keeps its Parquet data files; required with `warehouse`. Every "
        "process that loads or reads the warehouse must see it at the same path.",
    )
    warehouse_encrypted: bool = Field(
        True,
        description="Whether `python -m etl warehouse init` creates the warehouse with encrypted data files "
        "(DuckLake's own encryption: a key per file, kept in the catalog, so the catalog must be protected like "
        "the data). Read only when the warehouse is created; later connections follow what the catalog says.",
    )
    office_regions: Annotated[tuple[str, ...], NoDecode] = Field(
        (),
        description="The regions an office receives from the warehouse when it syncs (`python -m etl sync`), "
        "comma-separated, as `engagements.region` names them (e.g. MENA). Unset: sync sends and receives "
        "nothing until a region is named here or with --regions (never every region).",
    )
    public_origins: Annotated[tuple[str, ...], NoDecode] = Field(
        (),
        description="The addresses (scheme://host[:port], comma-separated) browsers use to open the dashboard; "
        "requests and websockets from pages of any other origin are refused. Unset (the default): only the "
        "address the app serves on (http://127.0.0.1:PORT and http://localhost:PORT for a local server). Behind "
        "a reverse proxy, set it to the proxy's public address, e.g. https://access.example.org.",
    )

    @field_validator("db", "boundaries", "regions", mode="after")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser()

    @field_validator("decisions", "users_file", "db_key_file", "audit_file", "warehouse_data", mode="before")
    @classmethod
    def _blank_path_is_unset(cls, value: object) -> object:
        # ACCESS_DECISIONS= (empty) means "the default place", not the current directory.
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("decisions", "users_file", "db_key_file", "audit_file", "warehouse_data", mode="after")
    @classmethod
    def _expand_optional(cls, value: Path | None) -> Path | None:
        return value.expanduser() if value is not None else None

    @field_validator("db_key", "warehouse", mode="before")
    @classmethod
    def _blank_key_is_unset(cls, value: object) -> object:
        # ACCESS_DB_KEY= (empty) means "no key here", not an empty key.
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("trusted_proxies", mode="after")
    @classmethod
    def _proxies_parse(cls, value: str) -> str:
        _networks(value)
        return value

    def trusted_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        """``trusted_proxies`` as networks (a bare address is a network of one)."""
        return _networks(self.trusted_proxies)
    @field_validator("office_regions", mode="before")
    @classmethod
    def _split_regions(cls, value: object) -> object:
        return split_regions(value) if isinstance(value, str) else value

    @field_validator("public_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        # ACCESS_PUBLIC_ORIGINS="https://a.example.org, http://10.0.0.5:8501": a list people can type.
        return tuple(v for v in re.split(r"[\s,]+", value) if v) if isinstance(value, str) else value

    @field_validator("public_origins", mode="after")
    @classmethod
    def _normalise_origins(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(normalise_origin(v) for v in value))

    @field_validator("tile_url", mode="after")
    @classmethod
    def _blank_is_unset(cls, value: str | None) -> str | None:
        return (value or "").strip() or None


def split_regions(text: str) -> tuple[str, ...]:
    """Region names as people type them, comma-separated (a name may hold spaces), each once, in order.

    >>> split_regions(" MENA, East and Horn of Africa,,MENA ")
    ('MENA', 'East and Horn of Africa')
    """
    return tuple(dict.fromkeys(" ".join(v.split()) for v in text.split(",") if v.strip()))


def _networks(text: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    out = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        try:
            out.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(f"'{item}' is not an IP address or network; give addresses such as 127.0.0.1 or "
                             "networks such as 10.0.0.0/8, comma-separated") from None
    return tuple(out)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
