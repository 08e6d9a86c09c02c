"""Images rendered before, kept by what decides their bytes: a rerun on the same papers copies, not renders, them."""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import shutil
from pathlib import Path

import plotly.graph_objects as go

from analysis._io import atomic_path, evict_least_recent
from analysis.browser import find_browser

__all__ = ["CACHE_BYTES", "SCALE", "complete", "from_cache", "to_cache"]

SCALE = {"png": 2, "svg": 1}  # PNG at twice the layout pixels (sharp when pasted); SVG at its own size
CACHE_BYTES = 256 * 2**20  # the image cache keeps the most recently used files up to this size


def complete(path: Path) -> bool:
    """Whether ``path`` holds a whole PNG or SVG."""
    if not path.is_file() or path.stat().st_size == 0:
        return False
    data = path.read_bytes()
    if path.suffix == ".png":
        return data.startswith(b"\x89PNG\r\n\x1a\n") and data.rstrip().endswith(b"IEND\xaeB`\x82")
    return b"<svg" in data[:512] and data.rstrip().endswith(b"</svg>")


def _renderer() -> str:
    """What else decides an image's bytes: the browser (its path and build) and the versions of the exporters."""
    browser = Path(find_browser() or "none")
    stamp = browser.stat() if browser.is_file() else None
    versions = [importlib.metadata.version(name) for name in ("plotly", "kaleido")]
    return f"{browser}|{stamp.st_size if stamp else 0}|{stamp.st_mtime_ns if stamp else 0}|{'|'.join(versions)}"


def _cache_key(figure_hash: str, figure: go.Figure, path: Path, width: int, renderer: str) -> str:
    spec = f"{renderer}|{path.suffix}|{width}|{figure.layout.height}|{SCALE[path.suffix[1:]]}|{figure_hash}"
    return hashlib.sha256(spec.encode()).hexdigest()[:32] + path.suffix


def from_cache(jobs: list, cache: Path, width: int) -> list:
    """Copy the images already in ``cache`` into place; return the jobs still to render, with their keys."""
    renderer, pending = _renderer(), []
    hashes: dict[int, str] = {}  # each figure serialised once, not once per format
    for figure, path in jobs:
        if id(figure) not in hashes:
            hashes[id(figure)] = hashlib.sha256(figure.to_json().encode()).hexdigest()
        key = _cache_key(hashes[id(figure)], figure, path, width, renderer)
        stored = cache / key
        try:
            if not complete(stored):
                raise FileNotFoundError(stored)
            with atomic_path(path) as tmp:
                shutil.copyfile(stored, tmp)
            os.utime(stored)  # recently used: kept longest
        except FileNotFoundError:  # not cached, or evicted by another run since it was checked: rendered
            pending.append((figure, path, key))
    return pending


def to_cache(rendered: list, cache: Path) -> None:
    for _, path, key in rendered:
        with atomic_path(cache / key) as tmp:
            shutil.copyfile(path, tmp)
    evict_least_recent(cache, CACHE_BYTES)
