"""Notebooks: figures that show outside JupyterLab too."""

from __future__ import annotations

from analysis.browser import find_browser

__all__ = ["use_notebook_renderer"]


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
