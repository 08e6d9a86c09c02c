"""Write figures as HTML, and as PNG and SVG through kaleido in one browser session."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import plotly.graph_objects as go

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
STATIC_FORMATS = ("png", "svg")
_SCALE = {"png": 2, "svg": 1}  # PNG at twice the layout pixels (sharp when pasted); SVG at its own size
_ATTEMPTS = 2


def find_browser() -> str | None:
    """``$BROWSER_PATH`` if set, else the first Chromium or Chrome on the PATH (where kaleido looks too)."""
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


def _complete(path: Path) -> bool:
    """Whether ``path`` holds a whole PNG or SVG."""
    if not path.is_file() or path.stat().st_size == 0:
        return False
    data = path.read_bytes()
    if path.suffix == ".png":
        return data.startswith(b"\x89PNG\r\n\x1a\n") and data.rstrip().endswith(b"IEND\xaeB`\x82")
    return b"<svg" in data[:512] and data.rstrip().endswith(b"</svg>")


@contextlib.contextmanager
def _quiet_browser_channel() -> Iterator[None]:
    """Keep choreographer's logged tracebacks (a message from the browser it could not decode) off the
    terminal for the duration of an export; what they cost is checked on the files themselves."""
    logger = logging.getLogger("choreographer")
    propagate = logger.propagate
    handler = logging.NullHandler()
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


def write_static(figures: dict[str, go.Figure], directory: Path, *, width: int = 1000) -> list[Path]:
    """PNG (at twice the layout size) and SVG (at the layout size) of every figure, in one kaleido call (one
    browser start); every file is checked to be whole, and the ones that are not are exported again.

    Raises ``RuntimeError`` naming how to get a browser when none is found, and ``OSError`` naming the files
    that failed twice.
    """
    if find_browser() is None:
        raise RuntimeError(
            "no Chromium or Chrome found, so figures were written as HTML only; for PNG and SVG install one "
            "(e.g. apt-get install chromium) or set BROWSER_PATH"
        )
    import plotly.io as pio

    jobs = [(figure, directory / f"{name}.{fmt}") for fmt in STATIC_FORMATS for name, figure in figures.items()]
    pending, error = jobs, None
    for _ in range(_ATTEMPTS):
        with _quiet_browser_channel():
            try:
                pio.write_images(
                    [figure for figure, _ in pending],
                    [path for _, path in pending],
                    width=width,
                    height=[figure.layout.height or 500 for figure, _ in pending],
                    scale=[_SCALE[path.suffix[1:]] for _, path in pending],
                )
            except Exception as failure:  # noqa: BLE001 - judged by the files below, reported if they stay bad
                error = failure
        pending = [(figure, path) for figure, path in pending if not _complete(path)]
        if not pending:
            return [path for _, path in jobs]
    names = ", ".join(path.name for _, path in pending)
    reason = f": {type(error).__name__}: {error}".splitlines()[0] if error else ""
    raise OSError(f"PNG/SVG export failed twice for {names}{reason}")


def use_notebook_renderer(*, width: int = 1000) -> str:
    """Make figures in this notebook carry a PNG beside the interactive chart, so an executed notebook shows
    them outside JupyterLab too (nbconvert HTML, GitHub, a mailed ``.ipynb``); JupyterLab still shows the
    interactive one. Without a browser for the PNG, the chart is embedded with plotly.js instead. Meant for a
    notebook's first cell: it sets ``plotly.io.renderers.default`` for the session. Returns the renderer."""
    import plotly.io as pio

    if find_browser() is not None:
        pio.renderers["png"].width = width
        pio.renderers["png"].scale = 1
        renderer = "plotly_mimetype+png"
    else:
        renderer = "plotly_mimetype+notebook"
    pio.renderers.default = renderer
    return renderer
