"""The main job end to end, and its report opened in headless Chromium."""

import os
import shutil

import pandas as pd
import pytest
from helpers import SEED_A, SEED_B, SEED_FIGURES

from analysis.browser import find_browser
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


@pytest.mark.slow
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


@pytest.mark.slow
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
    # most of the seeds' fine topics would not recur in another run: said above their table, with the share
    recurring = topics.loc[topics["stability"] >= 0.5, "size"].sum() / topics["size"].sum()
    said = f"The fine level is not reproducible at this size: {recurring:.0%} of the {topics['size'].sum()} papers"
    assert recurring < 0.5 and f"<p><strong>{said}" in html


def test_svg_opens_at_its_layout_size(run_dir):
    import re

    svg = (run_dir / "figures" / "topic_sizes.svg").read_text()[:400]
    width, height = map(int, re.search(r'width="(\d+)" height="(\d+)"', svg).groups())
    assert width == 1000 and f'viewBox="0 0 {width} {height}"' in svg
    png = (run_dir / "figures" / "topic_sizes.png").read_bytes()
    assert int.from_bytes(png[16:20], "big") == 2000  # PNG at twice the layout width
