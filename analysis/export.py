"""Figures as files: HTML (with one shared plotly.js), and PNG and SVG through a browser, from the image cache
where they were rendered before; every image checked whole."""

from __future__ import annotations

from pathlib import Path

import plotly.graph_objects as go

from analysis.browser import Browser, find_browser, quiet_browser_channel
from analysis.errors import ExportError, NoBrowserError
from analysis.image_cache import SCALE, complete, from_cache, to_cache

__all__ = ["STATIC_FORMATS", "write_html", "write_static"]

STATIC_FORMATS = ("png", "svg")
_ATTEMPTS = 2


def write_html(figures: dict[str, go.Figure], directory: Path) -> list[Path]:
    """``NAME.html`` per figure, sharing one ``plotly.min.js`` beside them (works offline)."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, figure in figures.items():
        path = directory / f"{name}.html"
        # the div named after the figure, not a random id: the same figure gives the same file
        figure.write_html(
            path, include_plotlyjs="directory", full_html=True, config={"displaylogo": False}, div_id=f"plot-{name}"
        )
        paths.append(path)
    return paths


def write_static(
    figures: dict[str, go.Figure],
    directory: Path,
    *,
    width: int = 1000,
    cache: Path | None = None,
    browser: Browser | None = None,
) -> list[Path]:
    """PNG (at twice the layout size) and SVG (at the layout size) of every figure, in one kaleido call (one
    browser start); every file is checked to be whole, and the ones that are not are exported again.

    ``cache``: a folder of images rendered before, by a hash of the figure, its size and format, the browser
    and the exporters' versions: a figure found there is copied, not rendered again (a rerun on the same
    papers starts no browser). It keeps the most recently used :data:`CACHE_BYTES`.

    ``browser``: one started earlier (:func:`started_browser`), so that its start overlapped other work; by
    default one is started here when needed.

    Raises :class:`~analysis.errors.NoBrowserError` naming how to get a browser when one is needed and none is
    found, and :class:`~analysis.errors.ExportError` naming the files that failed twice.
    """
    directory.mkdir(parents=True, exist_ok=True)
    jobs = [(figure, directory / f"{name}.{fmt}") for fmt in STATIC_FORMATS for name, figure in figures.items()]
    pending = from_cache(jobs, cache, width) if cache is not None else [(f, p, "") for f, p in jobs]
    if pending:
        _render([(figure, path) for figure, path, _ in pending], width, browser)
        if cache is not None:
            to_cache(pending, cache)
    return [path for _, path in jobs]


def _render(jobs: list, width: int, browser: Browser | None = None) -> None:
    if find_browser() is None:
        raise NoBrowserError(
            "no Chromium or Chrome found, so figures were written as HTML only; for PNG and SVG install one "
            "(e.g. apt-get install chromium) or set BROWSER_PATH"
        )
    pending, error = jobs, None
    for attempt in range(_ATTEMPTS):
        with quiet_browser_channel():
            try:
                if browser is not None and attempt == 0:
                    browser.render(pending, width, _scales(pending))
                else:  # a browser of its own: whatever went wrong with the first may have been the browser's
                    _write_images(pending, width)
            except Exception as failure:  # noqa: BLE001 - judged by the files below, reported if they stay bad
                error = failure
        pending = [(figure, path) for figure, path in pending if not complete(path)]
        if not pending:
            return
    names = ", ".join(path.name for _, path in pending)
    reason = f": {type(error).__name__}: {error}".splitlines()[0] if error else ""
    raise ExportError(f"PNG/SVG export failed twice for {names}{reason}")


def _scales(jobs: list) -> list[float]:
    return [SCALE[path.suffix[1:]] for _, path in jobs]


def _write_images(jobs: list, width: int) -> None:
    """Every ``(figure, path)`` of ``jobs`` through a browser of its own (see :class:`Browser`)."""
    with Browser() as browser:
        browser.render(jobs, width, _scales(jobs))
