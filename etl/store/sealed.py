"""Files kept beside the database, sealed with the database key: the audit log and the decisions mirror.

DuckDB encrypts the database file itself (:mod:`etl.store.crypto`), but two files live beside it and
name counterparts: the audit log (who looked at which counterpart id, what was searched or
uploaded) and the mirror of counterpart decisions (ids, name keys, spellings, reasons). A
counterpart id is an unsalted hash of a name, so even the ids give names away to anyone who can
guess them. With a database key configured both files are sealed; without one they stay plain
text, as before.

- **AES-256-GCM** (the ``cryptography`` package), a fresh 96-bit nonce per record, with a key
  derived from the database key by HKDF-SHA256, one key per kind of file (``purpose``). The
  purpose is also the associated data, so a record cannot be moved from one file to the other.
- **One record per line**, ASCII: ``access-sealed-v1:`` then base64 of nonce, ciphertext and tag.
  The audit log stays append-only (each event is one sealed line, appended as before); the mirror
  is one sealed line holding the whole CSV, rewritten atomically as before.
- A line that does not open (torn, edited, another key) is reported by the reader, never guessed at.

Sealing does not hide how many events there are, their sizes or when the file changed.

>>> key = derive_key("a database key", "audit")
>>> line = seal(b'{"action":"profile_view"}', key, "audit")
>>> line.startswith(PREFIX), unseal(line, key, "audit")
(True, b'{"action":"profile_view"}')
"""

from __future__ import annotations

import base64
import binascii
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from etl.config import Settings
from etl.store.crypto import database_key

PREFIX = b"access-sealed-v1:"
NONCE_BYTES = 12
AUDIT = "audit"
DECISIONS = "decisions"
_SALT = b"access-dashboard side files"


class SealError(Exception):
    """A sealed record that does not open: damaged, edited, or sealed with another key."""


def derive_key(secret: str, purpose: str) -> bytes:
    """The 256-bit key for one kind of file, from the database key (HKDF-SHA256)."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=f"access-dashboard {purpose} v1".encode())
    return hkdf.derive(secret.encode("utf-8"))


def side_key(purpose: str, settings: Settings | None = None) -> bytes | None:
    """The key sealing files of ``purpose``, or None when no database key is configured (files stay plain).

    Raises :class:`etl.errors.ConfigError` when the database key is configured in a way that cannot be trusted.
    """
    key = database_key(settings)
    return None if key is None else derive_key(key.get_secret_value(), purpose)


def is_sealed(data: bytes) -> bool:
    """Whether ``data`` (a line, or the start of a file) is a sealed record."""
    return data.startswith(PREFIX)


def seal(data: bytes, key: bytes, purpose: str) -> bytes:
    """One sealed record (ASCII, no newline) holding ``data``."""
    nonce = os.urandom(NONCE_BYTES)
    return PREFIX + base64.b64encode(nonce + AESGCM(key).encrypt(nonce, data, purpose.encode()))


def unseal(line: bytes, key: bytes, purpose: str) -> bytes:
    """What a sealed record holds; :class:`SealError` when it does not open with ``key``."""
    line = line.strip()
    if not is_sealed(line):
        raise SealError("not a sealed record")
    try:
        raw = base64.b64decode(line[len(PREFIX):], validate=True)
        return AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], purpose.encode())
    except (InvalidTag, binascii.Error, ValueError):
        raise SealError("the record does not open with this key (damaged, edited, or sealed with another key)") from None
