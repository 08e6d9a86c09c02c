"""Write figures as HTML, and as PNG and SVG through kaleido in one browser session."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import importlib.metadata
import logging
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import plotly.graph_objects as go

from analysis._io import atomic_path, evict_least_recent
from analysis.errors import ExportError, NoBrowserError

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
STATIC_FORMATS = ("png", "svg")
_SCALE = {"png": 2, "svg": 1}  # PNG at twice the layout pixels (sharp when pasted); SVG at its own size
_ATTEMPTS = 2
CACHE_BYTES = 256 * 2**20  # the image cache keeps the most recently used files up to this size


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


def _renderer() -> str:
    """What else decides an image's bytes: the browser (its path and build) and the versions of the exporters."""
    browser = Path(find_browser() or "none")
    stamp = browser.stat() if browser.is_file() else None
    versions = [importlib.metadata.version(name) for name in ("plotly", "kaleido")]
    return f"{browser}|{stamp.st_size if stamp else 0}|{stamp.st_mtime_ns if stamp else 0}|{'|'.join(versions)}"


def _cache_key(figure_hash: str, figure: go.Figure, path: Path, width: int, renderer: str) -> str:
    spec = f"{renderer}|{path.suffix}|{width}|{figure.layout.height}|{_SCALE[path.suffix[1:]]}|{figure_hash}"
    return hashlib.sha256(spec.encode()).hexdigest()[:32] + path.suffix


def _from_cache(jobs: list, cache: Path, width: int) -> list:
    """Copy the images already in ``cache`` into place; return the jobs still to render, with their keys."""
    renderer, pending = _renderer(), []
    hashes: dict[int, str] = {}  # each figure serialised once, not once per format
    for figure, path in jobs:
        if id(figure) not in hashes:
            hashes[id(figure)] = hashlib.sha256(figure.to_json().encode()).hexdigest()
        key = _cache_key(hashes[id(figure)], figure, path, width, renderer)
        stored = cache / key
        try:
            if not _complete(stored):
                raise FileNotFoundError(stored)
            with atomic_path(path) as tmp:
                shutil.copyfile(stored, tmp)
            os.utime(stored)  # recently used: kept longest
        except FileNotFoundError:  # not cached, or evicted by another run since it was checked: rendered
            pending.append((figure, path, key))
    return pending


def _to_cache(rendered: list, cache: Path) -> None:
    for _, path, key in rendered:
        with atomic_path(cache / key) as tmp:
            shutil.copyfile(path, tmp)
    evict_least_recent(cache, CACHE_BYTES)


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
    pending = _from_cache(jobs, cache, width) if cache is not None else [(f, p, "") for f, p in jobs]
    if pending:
        _render([(figure, path) for figure, path, _ in pending], width, browser)
        if cache is not None:
            _to_cache(pending, cache)
    return [path for _, path in jobs]


def _render(jobs: list, width: int, browser: Browser | None = None) -> None:
    if find_browser() is None:
        raise NoBrowserError(
            "no Chromium or Chrome found, so figures were written as HTML only; for PNG and SVG install one "
            "(e.g. apt-get install chromium) or set BROWSER_PATH"
        )
    pending, error = jobs, None
    for attempt in range(_ATTEMPTS):
        with _quiet_browser_channel():
            try:
                if browser is not None and attempt == 0:
                    browser.render(pending, width)
                else:  # a browser of its own: whatever went wrong with the first may have been the browser's
                    _write_images(pending, width)
            except Exception as failure:  # noqa: BLE001 - judged by the files below, reported if they stay bad
                error = failure
        pending = [(figure, path) for figure, path in pending if not _complete(path)]
        if not pending:
            return
    names = ", ".join(path.name for _, path in pending)
    reason = f": {type(error).__name__}: {error}".splitlines()[0] if error else ""
    raise ExportError(f"PNG/SVG export failed twice for {names}{reason}")


def _write_images(jobs: list, width: int) -> None:
    """Every ``(figure, path)`` of ``jobs`` through a browser of its own (see :class:`Browser`)."""
    with Browser() as browser:
        browser.render(jobs, width)


class Browser:
    """One kaleido tab, opened in the background: its own thread and event loop (so it also works inside
    Jupyter's), started when made, so that the browser's start (about 2 s) overlaps whatever the caller does
    next. :meth:`render` waits at most :attr:`OPEN_TIMEOUT` seconds for it; :meth:`close` (or leaving a ``with``
    block) shuts it down, opened or not.

    The tab is reused as it is between images: kaleido reloads its page, and with it plotly.js, after each image
    (0.2-0.35 s each), but each figure is drawn into a fresh plot of the page. 7 figures as PNG and SVG took
    4.2 s instead of 7.8 s, with byte-identical PNGs (SVGs differ only in plotly's random element ids, as between
    any two renders). Where kaleido's internals differ from those this relies on, :meth:`render` runs kaleido's
    own ``write_images`` instead.
    """

    OPEN_TIMEOUT = 60.0

    def __init__(self):
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="kaleido", daemon=True)
        self._thread.start()
        tab = _one_tab_class()
        self._opening = None if tab is None else asyncio.run_coroutine_threadsafe(_open(tab), self._loop)

    def render(self, jobs: list, width: int) -> None:
        """Write every ``(figure, path)`` of ``jobs``: PNG at twice ``width``, SVG at ``width``."""
        import plotly.io as pio

        heights = [figure.layout.height or 500 for figure, _ in jobs]
        scales = [_SCALE[path.suffix[1:]] for _, path in jobs]
        if self._opening is None:
            pio.write_images([f for f, _ in jobs], [p for _, p in jobs], width=width, height=heights, scale=scales)
            return
        specs = [
            {
                "fig": figure.to_dict(),
                "path": path,
                "opts": {"format": path.suffix[1:], "width": width, "height": height, "scale": scale},
                "topojson": pio.defaults.topojson,
            }
            for (figure, path), height, scale in zip(jobs, heights, scales, strict=True)
        ]
        session = self._opening.result(timeout=self.OPEN_TIMEOUT)
        asyncio.run_coroutine_threadsafe(session.write_fig_from_object(specs), self._loop).result()

    def close(self) -> None:
        if self._opening is not None:
            try:
                session = self._opening.result(timeout=self.OPEN_TIMEOUT)
            except Exception:  # noqa: BLE001 - never opened, or failed to: nothing to close, stop waiting for it
                self._opening.cancel()
            else:
                with contextlib.suppress(Exception):
                    closing = asyncio.run_coroutine_threadsafe(session.__aexit__(None, None, None), self._loop)
                    closing.result(timeout=self.OPEN_TIMEOUT)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=self.OPEN_TIMEOUT)
        if not self._thread.is_alive():
            self._loop.close()

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _one_tab_class():
    """kaleido's ``Kaleido`` with its tab put back without reloading its page; None where kaleido differs."""
    import kaleido

    base = getattr(kaleido, "Kaleido", None)
    if base is None or not all(hasattr(base, name) for name in ("_return_kaleido_tab", "write_fig_from_object")):
        return None

    class OneTab(base):
        async def _return_kaleido_tab(self, tab) -> None:
            await self.tabs_ready.put(tab)

    return OneTab


async def _open(tab_class):
    import plotly.io as pio

    defaults = pio.defaults
    options = {"plotlyjs": defaults.plotlyjs, "mathjax": defaults.mathjax, "headers": defaults.headers}
    session = tab_class(n=1, **{k: v for k, v in options.items() if v})
    await session.__aenter__()
    return session


@contextlib.contextmanager
def started_browser(wanted: bool = True) -> Iterator[Browser | None]:
    """A :class:`Browser` starting in the background, for :func:`write_static`'s ``browser``, when ``wanted``
    and a browser is found; else None. Closed on leaving."""
    if not wanted or find_browser() is None:
        yield None
        return
    with _quiet_browser_channel(), Browser() as browser:
        yield browser


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
