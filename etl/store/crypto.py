"""The database key: where it is configured, and what DuckDB needs to encrypt with it.

Negotiation records name commanders and intermediaries; a laptop that is lost or seized must not
give them away. DuckDB encrypts a database file itself (AES-GCM, every block, the WAL included)
when the file is ATTACHed with ``ENCRYPTION_KEY``, so encryption costs nothing in the SQL: the ETL
and the dashboard only have to open the file with the same key (:mod:`etl.store.db` does, for every
open). That key is looked up here, in one place, so the two can never disagree:

1. ``db_key`` (environment ``ACCESS_DB_KEY``), or
2. ``db_key_file`` (``ACCESS_DB_KEY_FILE``): a file whose first line is the key, owner-only;
3. neither set: ``db_key`` at the top of ``.streamlit/secrets.toml``, where a Streamlit deployment
   keeps its other secrets.

No key anywhere: the database is plain, as before. The key travels as a pydantic ``SecretStr``
(it prints as ``**********``) and is only unwrapped to build the ATTACH statement; it is never
logged or put in an error message.

DuckDB reads encrypted files with a built-in cipher but writes them only once its ``httpfs``
extension (which brings OpenSSL) is loaded. The extension comes from the ``duckdb-extension-httpfs``
wheel installed with the other dependencies and is loaded by file path: nothing is downloaded.
"""

from __future__ import annotations

import stat
import tomllib
from pathlib import Path

import duckdb
from pydantic import SecretStr

from etl.config import REPO_ROOT, Settings, get_settings
from etl.errors import ConfigError

# Where Streamlit reads the app's secrets (`python -m dashboard` runs from the repository root).
SECRETS_FILE = REPO_ROOT / ".streamlit" / "secrets.toml"
SECRETS_KEY = "db_key"

HOW_TO_SET = ("Set ACCESS_DB_KEY (or ACCESS_DB_KEY_FILE, or db_key in .streamlit/secrets.toml) to the key the "
              "database was encrypted with.")


def database_key(settings: Settings | None = None) -> SecretStr | None:
    """The configured database key, or None when the database is meant to be plain.

    Raises :class:`ConfigError` when the key is configured in a way that cannot be trusted or read
    (two places at once, a key file others can read, an unreadable secrets file).
    """
    settings = settings or get_settings()
    if settings.db_key is not None and settings.db_key_file is not None:
        raise ConfigError("Both ACCESS_DB_KEY and ACCESS_DB_KEY_FILE are set.",
                          "Keep one: the database key must come from one place only.")
    if settings.db_key is not None:
        return settings.db_key
    if settings.db_key_file is not None:
        return _key_from_file(settings.db_key_file)
    return _key_from_secrets(SECRETS_FILE)


def _check_owner_only(path: Path, what: str) -> None:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise ConfigError(f"{path} holds {what} but other accounts on this machine may read it (mode {mode:o}).",
                          f"Run `chmod 600 {path}`.")


def _key_from_file(path: Path) -> SecretStr:
    try:
        _check_owner_only(path, "the database key")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"The database key file {path} does not exist.",
                          "Check ACCESS_DB_KEY_FILE, or restore the file from where the key is kept.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"The database key file {path} cannot be read ({type(exc).__name__}).",
                          "Check that it is a text file you may read.") from None
    lines = text.splitlines()
    key = lines[0].strip() if lines else ""
    if not key:
        raise ConfigError(f"The database key file {path} is empty.", "Put the key on its first line.")
    return SecretStr(key)


def _key_from_secrets(path: Path) -> SecretStr | None:
    if not path.is_file():
        return None
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        # The parser's message names the line and column, never the text found there.
        raise ConfigError(f"{path} is not valid TOML ({exc}).", "Fix the file; Streamlit reads it too.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} cannot be read ({type(exc).__name__}).",
                          "Check that it is a text file you may read.") from None
    value = data.get(SECRETS_KEY)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{path}: {SECRETS_KEY} must be a non-empty string.",
                          f'Write it as {SECRETS_KEY} = "..." at the top of the file, before any [section].')
    _check_owner_only(path, "the database key")
    return SecretStr(value.strip())


def httpfs_extension() -> Path:
    """The httpfs extension file of the installed ``duckdb-extension-httpfs`` wheel, for this DuckDB."""
    try:
        import duckdb_extension_httpfs
    except ImportError:
        raise ConfigError("The duckdb-extension-httpfs package is not installed; DuckDB needs it to write an "
                          "encrypted database.",
                          "Install the dependencies again (`python3 tasks.py run` does).") from None
    path = (Path(duckdb_extension_httpfs.__file__).parent / "extensions" / f"v{duckdb.__version__}"
            / "httpfs.duckdb_extension")
    if not path.is_file():
        raise ConfigError(f"No httpfs extension for DuckDB {duckdb.__version__} at {path}.",
                          "Install duckdb-extension-httpfs of the same version as duckdb.")
    return path
