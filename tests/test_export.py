"""Figures as files: PNG and SVG through one browser tab, redone when cut, from the image cache when unchanged."""

import asyncio
import os
from pathlib import Path

import plotly.graph_objects as go
import pytest

from analysis import browser as browser_module
from analysis import export, image_cache
from analysis._io import evict_least_recent
from analysis.errors import NoBrowserError


@pytest.mark.slow
def test_one_tab_export_draws_what_kaleidos_own_path_draws(tmp_path):
    import plotly.io as pio

    figures = [
        go.Figure(go.Bar(x=[3, 1, 2], y=["a", "b", "c"], orientation="h"), layout_title_text="Bars", layout_height=300),
        go.Figure(go.Scatter(x=[0, 1, 2], y=[2, 0, 1], mode="markers+text", text=["x", "y", "z"]), layout_height=400),
        go.Figure(go.Heatmap(z=[[1, 2], [3, 4]]), layout_title_text="Heat"),
    ]
    ours = [(f, tmp_path / f"ours{i}.png") for i, f in enumerate(figures)] + [(figures[0], tmp_path / "ours.svg")]
    export._write_images(ours, 700)
    theirs = [tmp_path / f"theirs{i}.png" for i in range(len(figures))]
    pio.write_images(figures, theirs, width=700, height=[f.layout.height or 500 for f in figures], scale=2)
    # the tab is reused between images, without kaleido's reload: the same pixels, to the byte
    assert [path.read_bytes() for _, path in ours[:3]] == [path.read_bytes() for path in theirs]
    assert int.from_bytes(ours[1][1].read_bytes()[20:24], "big") == 800  # the second figure's own height, x2
    assert ours[3][1].read_text().rstrip().endswith("</svg>")
    # a browser started ahead of the export, and kept for two exports, draws the same
    with browser_module.started_browser() as browser:
        export.write_static({"a": figures[0]}, tmp_path / "early", width=700, browser=browser)
        export.write_static({"b": figures[1]}, tmp_path / "early", width=700, browser=browser)
    assert [(tmp_path / "early" / n).read_bytes() for n in ("a.png", "b.png")] == [p.read_bytes() for p in theirs[:2]]


def test_a_browser_that_never_opens_is_given_up_and_the_export_still_done(tmp_path, monkeypatch):
    async def never(tab_class):
        await asyncio.sleep(3600)

    calls = []

    def own(jobs, width):
        calls.append([p.name for _, p in jobs])
        for _, path in jobs:
            path.write_bytes(b"\x89PNG\r\n\x1a\n...IEND\xaeB`\x82" if path.suffix == ".png" else b"<svg></svg>")

    monkeypatch.setattr(browser_module, "_open", never)
    monkeypatch.setattr(browser_module.Browser, "OPEN_TIMEOUT", 0.5)
    monkeypatch.setattr(browser_module, "find_browser", lambda: "/usr/bin/chromium")
    monkeypatch.setattr(export, "find_browser", lambda: "/usr/bin/chromium")
    monkeypatch.setattr(export, "_write_images", own)
    with browser_module.started_browser() as browser:
        assert len(export.write_static({"a": go.Figure()}, tmp_path, browser=browser)) == 2
    assert calls == [["a.png", "a.svg"]]  # done by a browser of its own, after the early one timed out
    assert not browser._thread.is_alive()  # and closed


def test_a_broken_static_export_is_redone_then_reported(tmp_path, monkeypatch):
    calls = []

    def flaky(jobs, width):
        calls.append([p.name for _, p in jobs])
        for _, path in jobs:  # the first attempt leaves a cut PNG, as a lost browser message would
            path.write_bytes(b"\x89PNG\r\n\x1a\ncut" if len(calls) == 1 and path.suffix == ".png" else b"")
            if len(calls) > 1 or path.suffix == ".svg":
                path.write_bytes(b"\x89PNG\r\n\x1a\n...IEND\xaeB`\x82" if path.suffix == ".png" else b"<svg></svg>")

    monkeypatch.setattr(export, "find_browser", lambda: "/usr/bin/chromium")
    monkeypatch.setattr(export, "_write_images", flaky)
    figures = {"a": go.Figure(), "b": go.Figure()}
    assert len(export.write_static(figures, tmp_path)) == 4
    assert calls == [["a.png", "b.png", "a.svg", "b.svg"], ["a.png", "b.png"]]
    monkeypatch.setattr(export, "_write_images", lambda jobs, width: [p.write_bytes(b"") for _, p in jobs])
    with pytest.raises(OSError, match="PNG/SVG export failed twice for a.png, b.png, a.svg, b.svg"):
        export.write_static(figures, tmp_path)


def test_static_images_come_from_the_cache_unless_changed_or_broken(monkeypatch, tmp_path):
    calls = []

    def fake(jobs, width):
        calls.append(sorted(p.name for _, p in jobs))
        for figure, path in jobs:
            title = figure.layout.title.text
            whole = b"\x89PNG\r\n\x1a\n%sIEND\xaeB`\x82" if path.suffix == ".png" else b"<svg>%s</svg>"
            path.write_bytes(whole % title.encode())

    monkeypatch.setattr(export, "find_browser", lambda: "/usr/bin/chromium")
    monkeypatch.setattr(export, "_write_images", fake)
    cache = tmp_path / "cache"
    figures = {"a": go.Figure(layout_title_text="A"), "b": go.Figure(layout_title_text="B")}
    names = ["a.png", "b.png", "a.svg", "b.svg"]
    export.write_static(figures, tmp_path / "one", cache=cache)
    export.write_static(figures, tmp_path / "two", cache=cache)
    assert calls == [sorted(names)]  # the second export rendered nothing
    assert [(tmp_path / "two" / n).read_bytes() for n in names] == [(tmp_path / "one" / n).read_bytes() for n in names]
    # a changed figure is rendered again, and so is a cached image cut short; the rest is copied
    figures["b"] = go.Figure(layout_title_text="B, changed")
    next(f for f in cache.iterdir() if f.read_bytes() == b"<svg>A</svg>").write_bytes(b"<svg>A")
    export.write_static(figures, tmp_path / "three", cache=cache)
    assert calls[1] == ["a.svg", "b.png", "b.svg"]
    assert (tmp_path / "three" / "a.svg").read_bytes() == b"<svg>A</svg>"
    assert (tmp_path / "three" / "a.png").read_bytes() == (tmp_path / "one" / "a.png").read_bytes()
    # the cache keeps at most CACHE_BYTES
    monkeypatch.setattr(image_cache, "CACHE_BYTES", 0)
    export.write_static({"c": go.Figure(layout_title_text="C")}, tmp_path / "four", cache=cache)
    assert not list(cache.glob("*.*"))


def test_without_a_browser_static_export_says_how_to_get_one(monkeypatch, tmp_path):
    monkeypatch.setattr(export, "find_browser", lambda: None)
    with pytest.raises(NoBrowserError, match="apt-get install chromium"):
        export.write_static({"a": go.Figure()}, tmp_path)


def test_image_cache_eviction_leaves_other_runs_alone(monkeypatch, tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    for age, name in enumerate(["new.png", "old.svg", ".old.svg.x1y2.tmp"]):  # the last: another run's, mid-write
        (cache / name).write_bytes(b"x" * 100)
        os.utime(cache / name, (1e9 - age, 1e9 - age))
    # a file another run evicted between this run's listing and its stat
    real_glob = Path.glob
    monkeypatch.setattr(Path, "glob", lambda self, pattern: [*real_glob(self, pattern), self / "gone.png"])
    evict_least_recent(cache, 150)
    assert sorted(p.name for p in cache.iterdir()) == [".old.svg.x1y2.tmp", "new.png"]
    # an image evicted between the check and the copy is rendered instead
    monkeypatch.setattr(image_cache, "complete", lambda path: True)
    figure = go.Figure()
    pending = image_cache.from_cache([(figure, tmp_path / "a.png")], cache, 800)
    assert [(f, p) for f, p, _ in pending] == [(figure, tmp_path / "a.png")]
