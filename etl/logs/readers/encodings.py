"""Text encodings of CSV files as offices save them: found from the bytes, named, or refused with the fix.

Excel's plain "CSV" on Windows is **windows-1252**, not latin-1: the two differ in bytes 0x80-0x9F,
where windows-1252 has the curly quotes, dashes and the euro sign ("Bakhit’s" is 0x92) and latin-1
has invisible control characters. "CSV UTF-8" is UTF-8 with a BOM; "Unicode Text" is UTF-16 LE
with a BOM; other tools write UTF-16 or UTF-32 either way round, with or without a BOM.
:func:`detect_encoding` tells them apart:

1. a byte-order mark names UTF-8, UTF-16 LE/BE or UTF-32 LE/BE;
2. without one, zero bytes in a regular pattern (every second or fourth byte) show UTF-16 or UTF-32;
3. a file that decodes as UTF-8 is UTF-8;
4. otherwise it is windows-1252 when it reads as such: none of the five bytes windows-1252 leaves
   unassigned, and no word made only of accented letters (Arabic saved as windows-1256, or
   Cyrillic as windows-1251, reads as such words in windows-1252). Real exports also mix the two
   (rows pasted from a UTF-8 source into a windows-1252 file): such a file is read as
   :data:`MIXED`, each UTF-8 sequence as UTF-8 and every other byte as windows-1252;
5. anything else is refused with the offset of the first byte that is not UTF-8 and the fix:
   ``--encoding NAME``. Nothing is ever read as latin-1 mojibake.

DuckDB's CSV reader reads UTF-8 files (:func:`read_by_duckdb`); Python's csv module the others.
The name found is a Python codec name (``open(path, encoding=name)`` reads the file; the public
feeds do just that) and is what the load records in ``loads.encoding`` and ``inspect`` shows.
"""

from __future__ import annotations

import codecs
import csv
import re
from pathlib import Path

from etl.errors import InputFileError

UTF8, WINDOWS_1252, LATIN1 = "utf-8", "windows-1252", "latin-1"
UTF16LE, UTF16BE, UTF32LE, UTF32BE = "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"
MIXED = "utf-8+windows-1252"  # registered below: UTF-8 where the bytes are UTF-8, windows-1252 elsewhere

_BOMS = ((codecs.BOM_UTF32_LE, UTF32LE), (codecs.BOM_UTF32_BE, UTF32BE), (codecs.BOM_UTF8, UTF8),
         (codecs.BOM_UTF16_LE, UTF16LE), (codecs.BOM_UTF16_BE, UTF16BE))
_UNASSIGNED_1252 = frozenset(b"\x81\x8d\x8f\x90\x9d")  # no character in windows-1252
_UNASSIGNED_BYTE = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_ACCENTED_WORD = re.compile(r"[^\W\d_\x00-\x7f]{3,}")  # three letters in a row, none of them ASCII
_CHUNK = 1 << 20
# Python's csv module refuses fields over 131,072 characters by default; a long notes field is a field
# like any other. DuckDB's CSV reader goes to the same size.
MAX_FIELD_CHARS = 10_000_000
# When the bytes read neither as UTF-8 nor as windows-1252 (Excel on Windows, detected without being told).
OTHER_CODE_PAGE_FIX = ("It is probably in another Windows code page: load it again with --encoding cp1256 (Arabic) "
                       "or --encoding cp1251 (Cyrillic), or the encoding it was saved in; or save it from the "
                       "spreadsheet as 'CSV UTF-8'.")

# ------------------------------------------------------------------------------- the mixed codec


def _windows_1252_fallback(exc: UnicodeError) -> tuple[str, int]:
    """Error handler: bytes that are not UTF-8 read as windows-1252 (unassigned bytes as latin-1 does)."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    bad = exc.object[exc.start:exc.end]
    return "".join(chr(b) if b in _UNASSIGNED_1252 else bytes([b]).decode("cp1252") for b in bad), exc.end


codecs.register_error("windows-1252-fallback", _windows_1252_fallback)


class _MixedDecoder(codecs.BufferedIncrementalDecoder):
    def _buffer_decode(self, data: bytes, errors: str, final: bool) -> tuple[str, int]:  # type: ignore[override]
        return codecs.utf_8_decode(data, "windows-1252-fallback", final)


def _codec_key(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower())


def _mixed_codec(name: str) -> codecs.CodecInfo | None:
    if _codec_key(name) != _codec_key(MIXED):  # Python hands search functions 'utf_8_windows_1252'
        return None
    utf8 = codecs.lookup(UTF8)
    return codecs.CodecInfo(name=MIXED, encode=utf8.encode,
                            decode=lambda data, errors="strict": codecs.utf_8_decode(
                                data, "windows-1252-fallback", True),
                            incrementalencoder=utf8.incrementalencoder, incrementaldecoder=_MixedDecoder,
                            streamreader=utf8.streamreader, streamwriter=utf8.streamwriter)


codecs.register(_mixed_codec)


# ----------------------------------------------------------------------------------- names


def encoding_name(name: str) -> str:
    """The name an encoding given by a user is recorded under, or ValueError saying what to write.

    >>> encoding_name("cp1252"), encoding_name("Windows-1252"), encoding_name("latin1"), encoding_name("UTF8")
    ('windows-1252', 'windows-1252', 'latin-1', 'utf-8')
    >>> encoding_name("utf-16le"), encoding_name("cp1256")
    ('utf-16-le', 'windows-1256')
    >>> encoding_name("klingon")
    Traceback (most recent call last):
    ValueError: 'klingon' is not a text encoding Python knows. Write e.g. utf-8, cp1252 (Excel on Windows), latin-1, utf-16 or cp1256 (Arabic Windows).
    """
    try:
        info = codecs.lookup(name.strip())
    except (LookupError, ValueError):
        info = None
    if info is None or not getattr(info, "_is_text_encoding", True):
        raise ValueError(f"'{name}' is not a text encoding Python knows. Write e.g. utf-8, cp1252 (Excel on "
                         "Windows), latin-1, utf-16 or cp1256 (Arabic Windows).")
    found = info.name
    if found == "utf-8-sig":
        return UTF8
    if found == "iso8859-1":
        return LATIN1
    if re.fullmatch(r"cp125\d", found):
        return f"windows-{found[2:]}"
    return found


def _with_byte_order(path: Path, name: str) -> str:
    """'utf-16' / 'utf-32' given without an order: the BOM's, else the zero bytes', else little-endian."""
    if name not in ("utf-16", "utf-32"):
        return name
    with open(path, "rb") as fh:
        head = fh.read(65536)
    found = next((n for bom, n in _BOMS if head.startswith(bom)), None) or _wide_without_bom(head)
    if found and found.startswith(name):
        return found
    return f"{name}-le"


# ---------------------------------------------------------------------------------- detection


def _bytes_at(data: bytes, offset: int) -> str:
    """'byte 0x92 at offset 638' (offsets count from 0, as hex editors show them)."""
    return f"byte{'s' if len(data) > 1 else ''} {' '.join(f'0x{b:02X}' for b in data)} at offset {offset:,}"


def _wide_without_bom(head: bytes) -> str | None:
    """UTF-16 or UTF-32 from where the zero bytes fall (CSV text is mostly ASCII), or None."""
    sample = head[: len(head) - len(head) % 4][:8192]
    if len(sample) < 4:
        return None
    share = [sample[i::4].count(0) / (len(sample) // 4) for i in range(4)]
    if share[2] > 0.95 and share[3] > 0.95 and share[0] < 0.5:
        return UTF32LE
    if share[0] > 0.95 and share[1] > 0.95 and share[3] < 0.5:
        return UTF32BE
    odd, even = (share[1] + share[3]) / 2, (share[0] + share[2]) / 2
    if odd > 0.3 and even < 0.05:
        return UTF16LE
    if even > 0.3 and odd < 0.05:
        return UTF16BE
    return None


def head_encoding(head: bytes) -> str:
    r"""A first guess at a file's encoding from its first bytes (to recognise its header; the whole file is
    checked by :func:`detect_encoding` when it is read): a byte-order mark, then where zero bytes fall
    (UTF-16/32 without a mark), then UTF-8, else windows-1252.

    >>> head_encoding("Date,Pays\n".encode("utf-16")), head_encoding(b"D\x00a\x00t\x00e\x00")
    ('utf-16-le', 'utf-16-le')
    >>> head_encoding("Pa\u00eds,Date\n".encode("utf-8")), head_encoding("Pa\u00eds,Date\n".encode("cp1252"))
    ('utf-8', 'windows-1252')
    """
    found = next((name for bom, name in _BOMS if head.startswith(bom)), None)
    if found is None and b"\x00" in head:
        found = _wide_without_bom(head)
    if found is not None:
        return found
    try:
        head.decode(UTF8)
    except UnicodeDecodeError as exc:
        if exc.start <= len(head) - 4:  # not just a character cut by the end of the sample
            return WINDOWS_1252
    return UTF8


def first_undecodable(path: Path, name: str) -> tuple[int, bytes] | None:
    """(offset, bytes) of the first bytes of the file that ``name`` cannot decode, or None when it all decodes."""
    decoder = codecs.getincrementaldecoder(name)()
    offset = 0
    with open(path, "rb") as fh:
        while True:
            chunk = fh.read(_CHUNK)
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                state = decoder.getstate()  # (bytes not decoded yet, flag) for the multi-byte decoders
                pending = len(state[0]) if isinstance(state, tuple) and isinstance(state[0], bytes) else 0
                start = offset - pending + exc.start
                return start, exc.object[exc.start:exc.end][:4]
            if not chunk:
                return None
            offset += len(chunk)


def check_decodes(path: Path, name: str) -> None:
    """Refuse a file that ``name`` (given with ``--encoding``) cannot read, naming the first bytes and where."""
    bad = first_undecodable(path, name)
    if bad is not None:
        offset, data = bad
        raise InputFileError(path, f"the file is not {name} text: {_bytes_at(data, offset)} cannot be read as "
                             f"{name}.",
                             "Load it without --encoding to let the loader find the encoding, or give the one the "
                             "file was saved in (e.g. --encoding cp1252 for Excel on Windows).")


def _eight_bit(path: Path, offset: int, data: bytes) -> str:
    """windows-1252, MIXED, or InputFileError when the bytes read as neither."""
    unassigned: tuple[int, bytes] | None = None
    utf8_sequences = 0
    word = None
    position = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            # The bytes that are not part of a UTF-8 sequence, at their places (C5 81 is 'Ł' in UTF-8).
            rest = _UTF8_SEQUENCE.sub(lambda m: b" " * len(m.group()), chunk)
            utf8_sequences += rest != chunk
            if unassigned is None and (hit := _UNASSIGNED_BYTE.search(rest)):
                unassigned = position + hit.start(), hit.group()
            if word is None and (found := _ACCENTED_WORD.search(rest.decode("cp1252", errors="replace"))):
                word = found.group() if "\ufffd" not in found.group() else None
            position += len(chunk)
    where = f"{_bytes_at(data, offset)} {'are' if len(data) > 1 else 'is'} not UTF-8"
    if unassigned is not None:
        also = "it is" if unassigned[0] == offset else _bytes_at(unassigned[1], unassigned[0]) + " is"
        raise InputFileError(path, f"could not tell the encoding of the file: {where}, and {also} not "
                             "windows-1252 (Excel on Windows) either.", OTHER_CODE_PAGE_FIX)
    if word is not None:
        raise InputFileError(path, f"could not tell the encoding of the file: {where}, and read as windows-1252 "
                             f"the text has words such as '{word}' (Arabic or Cyrillic saved by Windows reads like "
                             "that).", OTHER_CODE_PAGE_FIX)
    return MIXED if utf8_sequences else WINDOWS_1252


def allow_long_fields() -> None:
    """Let Python's csv module read fields up to :data:`MAX_FIELD_CHARS` (the limit is per process).

    Called before a CSV is read: by :func:`detect_encoding` (the feeds call it before their csv reader)
    and :func:`resolve_encoding` (the logs).
    """
    if csv.field_size_limit() < MAX_FIELD_CHARS:
        csv.field_size_limit(MAX_FIELD_CHARS)


def detect_encoding(path: Path) -> str:
    """The encoding of a text file (a Python codec name); InputFileError when it is not text or cannot be told.

    Reads the whole file once to check it (twice when it is not UTF-8).
    """
    allow_long_fields()
    with open(path, "rb") as fh:
        head = fh.read(65536)
    if head.startswith(b"PK\x03\x04"):
        raise InputFileError(path, "this is a zip or Excel file, not a CSV.",
                             "Save it with the .xlsx extension, or export the sheet as CSV.")
    found = next((name for bom, name in _BOMS if head.startswith(bom)), None)
    if found is None and b"\x00" in head:
        found = _wide_without_bom(head)
        if found is None:
            raise InputFileError(path, "this is a binary file, not a CSV text file.",
                                 "Export the log as CSV, XLSX or JSON.")
    if found is not None and found != UTF8:
        bad = first_undecodable(path, found)
        if bad is not None:
            raise InputFileError(path, f"the file looks like {found} text, but {_bytes_at(bad[1], bad[0])} cannot be "
                                 f"read as {found}.",
                                 "Save it again from the spreadsheet as 'CSV UTF-8', or give the encoding with "
                                 "--encoding NAME.")
        return found
    bad = first_undecodable(path, UTF8)
    if bad is None:
        return UTF8
    return _eight_bit(path, *bad)


def resolve_encoding(path: Path, given: str | None) -> str:
    """The encoding to read a CSV with: ``given`` (``--encoding``, checked against the file) or detected."""
    allow_long_fields()
    if not given:
        return detect_encoding(path)
    try:
        name = _with_byte_order(path, encoding_name(given))
    except ValueError as exc:
        raise InputFileError(path, f"--encoding {given}: {exc}") from None
    check_decodes(path, name)
    return name


def read_by_duckdb(name: str) -> bool:
    """Whether DuckDB's CSV reader reads ``name`` as Python does: UTF-8 only (its latin-1 refuses bytes 0x80-0x9F)."""
    return name == UTF8
