"""Typed settings, with defaults, help strings and environment-variable overrides.

Every setting can be set with an environment variable ``ACCESS_<NAME>`` (for example
``ACCESS_DB=/srv/access/access.duckdb``). ``docs/configuration.md`` lists them all and a test
checks that every setting is documented there.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = REPO_ROOT / "data"


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
        "(dashboard/disclosure.py), so that one engagement cannot be singled out.",
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

    @field_validator("db", "boundaries", "regions", mode="after")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser()

    @field_validator("decisions", "users_file", "db_key_file", "audit_file", mode="before")
    @classmethod
    def _blank_path_is_unset(cls, value: object) -> object:
        # ACCESS_DECISIONS= (empty) means "the default place", not the current directory.
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("decisions", "users_file", "db_key_file", "audit_file", mode="after")
    @classmethod
    def _expand_optional(cls, value: Path | None) -> Path | None:
        return value.expanduser() if value is not None else None

    @field_validator("db_key", mode="before")
    @classmethod
    def _blank_key_is_unset(cls, value: object) -> object:
        # ACCESS_DB_KEY= (empty) means "no key here", not an empty key.
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("tile_url", mode="after")
    @classmethod
    def _blank_is_unset(cls, value: str | None) -> str | None:
        return (value or "").strip() or None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
