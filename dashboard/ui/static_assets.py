"""Leaflet, served by the dashboard itself: field offices work offline.

Leaflet's JS, CSS and images come from the installed ``XStatic-Leaflet`` package and are copied
at start-up into ``dashboard/static/vendor/leaflet/``, which Streamlit serves at
``/app/static/vendor/leaflet/`` (``enableStaticServing`` in ``.streamlit/config.toml``). The folder
is gitignored: third-party code is never committed, it always matches the installed package.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
from pathlib import Path

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
LEAFLET_DIR = STATIC_DIR / "vendor" / "leaflet"
# What the map needs (the source map only so that browser dev tools do not log a 404).
LEAFLET_FILES = ("leaflet.js", "leaflet.css", "leaflet.js.map")
LEAFLET_IMAGES = ("layers.png", "layers-2x.png", "marker-icon.png", "marker-icon-2x.png", "marker-shadow.png")

_lock = threading.Lock()
_done = False


def leaflet_source() -> Path:
    """The folder of the installed XStatic-Leaflet package that holds leaflet.js."""
    from xstatic.pkg import leaflet

    return Path(leaflet.BASE_DIR)


def _wanted() -> list[str]:
    return [*LEAFLET_FILES, *(f"images/{name}" for name in LEAFLET_IMAGES)]


def _same(src: Path, dst: Path) -> bool:
    try:
        return dst.stat().st_size == src.stat().st_size and dst.stat().st_mtime >= src.stat().st_mtime
    except FileNotFoundError:
        return False


def _copy(src: Path, dst: Path) -> None:
    """Copy to a temporary name then rename, so a browser never gets half a file."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dst.parent, prefix=f".{dst.name}.")
    os.close(fd)
    try:
        shutil.copy2(src, tmp)
        os.replace(tmp, dst)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def copy_leaflet(source: Path | None = None, target: Path = LEAFLET_DIR) -> list[Path]:
    """Copy the Leaflet files that are missing or stale into ``target``; return those copied."""
    source = source or leaflet_source()
    copied = []
    for rel in _wanted():
        src, dst = source / rel, target / rel
        if not src.exists():
            if rel in ("leaflet.js", "leaflet.css"):
                raise FileNotFoundError(src)
            continue
        if not _same(src, dst):
            _copy(src, dst)
            copied.append(dst)
    return copied


def ensure_leaflet() -> bool:
    """Make sure the local Leaflet files are in place (once per process); False if they are not."""
    global _done
    if _done:
        return True
    with _lock:
        if _done:
            return True
        try:
            copied = copy_leaflet()
        except (ImportError, OSError) as err:
            log.error("Could not put Leaflet in %s: %s", LEAFLET_DIR, err)
            return all((LEAFLET_DIR / name).exists() for name in ("leaflet.js", "leaflet.css"))
        if copied:
            log.info("Copied %d Leaflet files to %s", len(copied), LEAFLET_DIR)
        _done = True
        return True


def static_url(path: str) -> str:
    """Address of a file under ``dashboard/static`` as the browser sees it (root-relative, honours
    ``server.baseUrlPath`` so that the map also works behind a reverse proxy sub-path)."""
    import streamlit as st

    base = (st.get_option("server.baseUrlPath") or "").strip("/")
    prefix = f"/{base}" if base else ""
    return f"{prefix}/app/static/{path.lstrip('/')}"


def leaflet_urls() -> tuple[str, str]:
    """(leaflet.js, leaflet.css) addresses for :func:`dashboard.ui.maps.build_map`."""
    return static_url("vendor/leaflet/leaflet.js"), static_url("vendor/leaflet/leaflet.css")
