"""A headless browser for figure images: where one is, and one kaleido tab kept open in the background."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import threading
from collections.abc import Iterator

__all__ = ["BROWSERS", "Browser", "find_browser", "quiet_browser_channel", "started_browser"]

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")


def find_browser() -> str | None:
    """``$BROWSER_PATH`` if set, else the first Chromium or Chrome on the PATH (where kaleido looks too)."""
    if os.environ.get("BROWSER_PATH"):
        return os.environ["BROWSER_PATH"]
    return next((path for name in BROWSERS if (path := shutil.which(name))), None)


@contextlib.contextmanager
def quiet_browser_channel() -> Iterator[None]:
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

    def render(self, jobs: list, width: int, scales: list[float]) -> None:
        """Write every ``(figure, path)`` of ``jobs`` (the format from the path's suffix) at ``width`` layout
        pixels times its scale of ``scales``."""
        import plotly.io as pio

        heights = [figure.layout.height or 500 for figure, _ in jobs]
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
    with quiet_browser_channel(), Browser() as browser:
        yield browser
