"""The main job end to end, and its report opened in headless Chromium."""

import asyncio
import os
import shutil

import pandas as pd
import pytest
from helpers import SEED_A, SEED_B, SEED_FIGURES

from analysis.figures.export import find_browser
from analysis.pipeline import run

EVIL_TITLES = [
    '<img src=x onerror="window.__xss=1">',
    "</script><script>window.__xss=2</script>",
    "Plain & <b>bold</b> title",
]


def _need_browser():
    if find_browser() is None:
        if os.environ.get("CI"):
            pytest.fail("CI must have Chromium (.ci/run installs it)")
        pytest.skip("no Chromium or Chrome here: apt-get install chromium")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    _need_browser()
    data = tmp_path_factory.mktemp("data")
    shutil.copy(SEED_A, data)
    shutil.copy(SEED_B, data)
    abstract = "We study attention kernels for efficient inference of large language models on GPUs."
    pd.DataFrame({"title": EVIL_TITLES, "abstract": [abstract] * 3, "digest": ["002_b41ed81a6e990286"] * 3}).to_csv(
        data / "zz_evil.csv", index=False
    )
    out = tmp_path_factory.mktemp("run") / "out"
    messages = []
    run([data], out, seed=42, log=messages.append)
    return out


def test_run_writes_every_output(run_dir):
    papers = pd.read_csv(run_dir / "papers.csv")
    assert len(papers) == 189 and set(EVIL_TITLES) <= set(papers["title"])
    for name in SEED_FIGURES:
        for ext in ("html", "png", "svg"):
            assert (run_dir / "figures" / f"{name}.{ext}").stat().st_size > 1000, (name, ext)
    assert (run_dir / "figures" / "digest_butterfly.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    counts = pd.read_csv(run_dir / "overlap_counts.csv")
    assert {"p_value", "q_value", "odds_ratio"} <= set(counts.columns)
    assert set(pd.read_csv(run_dir / "overlap_classes.csv")["class"]) <= {"shared", "distinctive", "unique"}


def test_report_escapes_digest_text(run_dir):
    html = (run_dir / "report.html").read_text()
    assert "&lt;img src=x onerror=&#34;window.__xss=1&#34;&gt;" in html
    assert '<img src=x onerror="window.__xss=1">' not in html
    assert "<b>bold</b>" not in html
    assert "<script src=" not in html and "<link" not in html  # everything inlined


def test_report_renders_every_figure_offline_in_chromium(run_dir):
    from playwright.sync_api import sync_playwright

    requests, dialogs = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=find_browser(),
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page()
        page.on("request", lambda request: requests.append(request.url))
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.goto((run_dir / "report.html").as_uri(), wait_until="load")
        page.wait_for_function(
            f"document.querySelectorAll('.js-plotly-plot .main-svg').length >= {len(SEED_FIGURES)}", timeout=60_000
        )
        rendered = page.evaluate(
            """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(gd => ({
                id: gd.id, traces: (gd.data || []).length,
                points: (gd.calcdata || []).reduce((n, trace) => n + trace.length, 0),
                svg: gd.querySelectorAll('.main-svg').length}))"""
        )
        xss = page.evaluate("() => window.__xss === undefined ? null : window.__xss")
        text = page.inner_text("body")
        browser.close()
    assert sorted(r["id"] for r in rendered) == sorted(f"plot-{name}" for name in SEED_FIGURES)
    assert all(r["traces"] > 0 and r["points"] > 0 and r["svg"] > 0 for r in rendered), rendered
    assert xss is None and dialogs == []
    assert all(title in text for title in EVIL_TITLES)
    assert [url for url in requests if not url.startswith(("file://", "data:", "blob:"))] == []
    assert [url for url in requests if url.startswith("file://")] == [(run_dir / "report.html").as_uri()]


def test_report_reads_without_the_readme(run_dir):
    import re

    html = (run_dir / "report.html").read_text()
    assert "<h1>Topics of 2 digests, " in html
    figures = re.findall(r'<figure class="figure" id="figure-([a-z_]+)">', html)
    assert figures == SEED_FIGURES
    contents = html[html.index('<nav class="toc"') : html.index("</nav>")]
    for anchor in ["trends", "inputs", "topics", "overlap", "figures", "papers"][1:] + [f"figure-{n}" for n in figures]:
        assert f'href="#{anchor}"' in contents and f'id="{anchor}"' in html
    captions = re.findall(r"<figcaption>(.*?)</figcaption>", html, re.S)
    assert len(captions) == len(figures) and all(len(c) > 60 for c in captions)
    assert re.search(r"<th>novelty_threshold</th><td>0\.\d{3}</td><td class=\"note\">with --model", html)
    assert 'id="paper-filter"' in html and "white-space: nowrap" in html
    # how labels are made is said, and a mixed topic is marked where it is listed
    from analysis.labels import LABEL_RULES

    assert LABEL_RULES.replace("'", "&#39;") in html
    topics = pd.read_csv(run_dir / "topics.csv")
    marked = re.findall(r'<td>([^<]*) <span class="note">\(mixed\)</span></td>', html)
    broad = pd.read_csv(run_dir / "broad_topics.csv")
    assert sorted(marked) == sorted([*topics.loc[topics["mixed"], "label"], *broad.loc[broad["mixed"], "label"]])


def test_svg_opens_at_its_layout_size(run_dir):
    import re

    svg = (run_dir / "figures" / "topic_sizes.svg").read_text()[:400]
    width, height = map(int, re.search(r'width="(\d+)" height="(\d+)"', svg).groups())
    assert width == 1000 and f'viewBox="0 0 {width} {height}"' in svg
    png = (run_dir / "figures" / "topic_sizes.png").read_bytes()
    assert int.from_bytes(png[16:20], "big") == 2000  # PNG at twice the layout width


def test_one_tab_export_draws_what_kaleidos_own_path_draws(tmp_path):
    import plotly.graph_objects as go
    import plotly.io as pio

    from analysis.figures import export

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
    with export.started_browser() as browser:
        export.write_static({"a": figures[0]}, tmp_path / "early", width=700, browser=browser)
        export.write_static({"b": figures[1]}, tmp_path / "early", width=700, browser=browser)
    assert [(tmp_path / "early" / n).read_bytes() for n in ("a.png", "b.png")] == [p.read_bytes() for p in theirs[:2]]


def test_a_browser_that_never_opens_is_given_up_and_the_export_still_done(tmp_path, monkeypatch):
    import plotly.graph_objects as go

    from analysis.figures import export

    async def never(tab_class):
        await asyncio.sleep(3600)

    calls = []

    def own(jobs, width):
        calls.append([p.name for _, p in jobs])
        for _, path in jobs:
            path.write_bytes(b"\x89PNG\r\n\x1a\n...IEND\xaeB`\x82" if path.suffix == ".png" else b"<svg></svg>")

    monkeypatch.setattr(export, "_open", never)
    monkeypatch.setattr(export.Browser, "OPEN_TIMEOUT", 0.5)
    monkeypatch.setattr(export, "find_browser", lambda: "/usr/bin/chromium")
    monkeypatch.setattr(export, "_write_images", own)
    with export.started_browser() as browser:
        assert len(export.write_static({"a": go.Figure()}, tmp_path, browser=browser)) == 2
    assert calls == [["a.png", "a.svg"]]  # done by a browser of its own, after the early one timed out
    assert not browser._thread.is_alive()  # and closed


def test_a_broken_static_export_is_redone_then_reported(tmp_path, monkeypatch):
    import plotly.graph_objects as go

    from analysis.figures import export

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
    import plotly.graph_objects as go

    from analysis.figures import export

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
    monkeypatch.setattr(export, "CACHE_BYTES", 0)
    export.write_static({"c": go.Figure(layout_title_text="C")}, tmp_path / "four", cache=cache)
    assert not list(cache.glob("*.*"))


def test_without_a_browser_static_export_says_how_to_get_one(monkeypatch, tmp_path):
    import plotly.graph_objects as go

    from analysis.errors import NoBrowserError
    from analysis.figures import export

    monkeypatch.setattr(export, "find_browser", lambda: None)
    with pytest.raises(NoBrowserError, match="apt-get install chromium"):
        export.write_static({"a": go.Figure()}, tmp_path)


def test_image_cache_eviction_leaves_other_runs_alone(monkeypatch, tmp_path):
    import os
    from pathlib import Path

    from analysis.figures import export

    cache = tmp_path / "cache"
    cache.mkdir()
    for age, name in enumerate(["new.png", "old.svg", ".old.svg.x1y2.tmp"]):  # the last: another run's, mid-write
        (cache / name).write_bytes(b"x" * 100)
        os.utime(cache / name, (1e9 - age, 1e9 - age))
    # a file another run evicted between this run's listing and its stat
    real_glob = Path.glob
    monkeypatch.setattr(Path, "glob", lambda self, pattern: [*real_glob(self, pattern), self / "gone.png"])
    from analysis._io import evict_least_recent

    evict_least_recent(cache, 150)
    assert sorted(p.name for p in cache.iterdir()) == [".old.svg.x1y2.tmp", "new.png"]
    # an image evicted between the check and the copy is rendered instead
    monkeypatch.setattr(export, "_complete", lambda path: True)
    import plotly.graph_objects as go

    figure = go.Figure()
    pending = export._from_cache([(figure, tmp_path / "a.png")], cache, 800)
    assert [(f, p) for f, p, _ in pending] == [(figure, tmp_path / "a.png")]
