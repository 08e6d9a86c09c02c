"""Write figures as HTML, and as PNG and SVG through kaleido in one browser session."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import plotly.graph_objects as go

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
STATIC_FORMATS = ("png", "svg")


def find_browser() -> str | None:
    """``$BROWSER_PATH`` if set, else the first Chromium or Chrome on the PATH."""
    if os.environ.get("BROWSER_PATH"):
        return os.environ["BROWSER_PATH"]
    return next((path for name in BROWSERS if (path := shutil.which(name))), None)


def write_html(figures: dict[str, go.Figure], directory: Path) -> list[Path]:
    """``NAME.html`` per figure, sharing one ``plotly.min.js`` beside them (works offline)."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, figure in figures.items():
        path = directory / f"{name}.html"
        figure.write_html(path, include_plotlyjs="directory", full_html=True, config={"displaylogo": False})
        paths.append(path)
    return paths


def write_static(figures: dict[str, go.Figure], directory: Path, *, width: int = 1000, scale: float = 2) -> list[Path]:
    """PNG and SVG of every figure in one kaleido call (one browser start); returns the paths written.

    Raises ``RuntimeError`` naming how to get a browser when none is found.
    """
    browser = find_browser()
    if browser is None:
        raise RuntimeError(
            "no Chromium or Chrome found, so figures were written as HTML only; for PNG and SVG install one "
            "(e.g. apt-get install chromium) or set BROWSER_PATH"
        )
    os.environ.setdefault("BROWSER_PATH", browser)
    import plotly.io as pio

    jobs = [(figure, directory / f"{name}.{fmt}") for fmt in STATIC_FORMATS for name, figure in figures.items()]
    heights = [figure.layout.height or 500 for figure, _ in jobs]
    pio.write_images([f for f, _ in jobs], [p for _, p in jobs], width=width, height=heights, scale=scale)
    return [p for _, p in jobs]
