"""A year of daily digests (300 digests, 6,000 papers): overlap by period, figures and report within limits."""

import struct

import numpy as np
import pandas as pd
import pytest

from analysis.browser import find_browser
from analysis.export import write_static
from analysis.figure_set import build_figures
from analysis.overlap import choose_unit, overlap_tables
from analysis.report import render_report
from analysis.trends import assign_periods, topic_trends

N_DIGESTS, PER_DIGEST, N_TOPICS = 300, 20, 20
EVIL = "<script>window.__xss=1</script>"


@pytest.fixture(scope="module")
def year():
    rng = np.random.default_rng(7)
    days = pd.bdate_range("2025-01-06", periods=N_DIGESTS)
    base = rng.dirichlet(np.full(N_TOPICS, 5.0))
    rows = []
    for i, day in enumerate(days):
        shares = base.copy()
        shares[0] *= 1 + 3 * i / N_DIGESTS  # one topic grows fourfold over the year
        topics = rng.choice(N_TOPICS, size=PER_DIGEST, p=shares / shares.sum())
        for j, topic in enumerate(topics):
            title = EVIL if (i, j) == (0, 0) else f"A paper on theme {topic}, number {i}-{j}, with a longish title"
            rows.append(
                {
                    "digest": day.strftime("%Y-%m-%d"),
                    "digest_date": day,
                    "position": j + 1,
                    "paper_id": f"{i}-{j}",
                    "title": title,
                    "abstract": "An abstract " * 40,
                    "n_digests": 1,
                    "topic": int(topic),
                    "topic_label": f"Theme number {topic} with a label",
                }
            )
    papers = assign_periods(pd.DataFrame(rows))
    topics = pd.DataFrame(
        {
            "topic": range(N_TOPICS),
            "label": [f"Theme number {t} with a label" for t in range(N_TOPICS)],
            "size": papers["topic"].value_counts().sort_index().to_numpy(),
            "top_terms": "alpha, beta, gamma",
            "representative_titles": "a | b | c",
        }
    )
    terms = pd.DataFrame(
        [(t, f"Theme number {t} with a label", f"term{k}", 1.0 / (k + 1)) for t in range(N_TOPICS) for k in range(6)],
        columns=["topic", "topic_label", "term", "weight"],
    )
    centres = rng.normal(size=(N_TOPICS, 16))
    coords = rng.normal(size=(len(papers), 2))
    trends = topic_trends(papers)
    overlap = overlap_tables(papers, by=choose_unit(papers))
    figures = build_figures(papers, topics, terms, centres, overlap, coords, trends)
    report = render_report(papers, topics, overlap, figures, {"seed": 42}, trends=trends)
    return papers, trends, overlap, figures, report


def test_many_digests_are_compared_by_period_and_trends_by_month(year):
    papers, trends, overlap, _, _ = year
    assert overlap.unit == "period" and trends.unit == "month"
    assert overlap.counts["period"].nunique() == papers["period"].nunique() == len(trends.periods) == 14
    assert overlap.similarity.shape == (14, 14)
    assert trends.table.set_index("topic").at[0, "trend"] in {"rising", "emerging"}


def _legend_entries(figure) -> int:
    if figure.layout.showlegend is False:
        return 0
    return sum(1 for t in figure.data if t.showlegend is not False and t.name)


def test_figures_stay_readable(year):
    figures = year[3]
    assert list(figures) == [
        "topics_over_time",
        "trend_changes",
        "topic_sizes",
        "period_topic_heatmap",
        "period_similarity",
        "document_map",
        "top_terms",
        "topic_hierarchy",
    ]
    for name, figure in figures.items():
        assert _legend_entries(figure) <= 20, name
        assert figure.layout.height <= 1900, name
        assert figure.layout.title.text, name
    assert figures["period_topic_heatmap"].data[0].z.shape == (14, N_TOPICS)
    assert "2025-01 – 2026-02" in figures["period_topic_heatmap"].layout.title.text
    assert len(figures["topic_sizes"].data) == 14  # stacked by the 14 months, not the 300 days


def test_report_is_small_and_escaped(year):
    report = year[4]
    assert len(report.encode()) < 5_000_000
    assert EVIL not in report and "&lt;script&gt;window.__xss=1&lt;/script&gt;" in report
    assert report.index('id="trends"') < report.index('id="inputs"')


def _png_size(path) -> tuple[int, int]:
    return struct.unpack(">II", path.read_bytes()[16:24])


@pytest.mark.slow
def test_static_figures_are_at_most_4000_px(year, tmp_path):
    if find_browser() is None:
        pytest.skip("no Chromium here: apt-get install chromium")
    write_static(year[3], tmp_path)
    sizes = {p.stem: _png_size(p) for p in tmp_path.glob("*.png")}
    assert len(sizes) == len(year[3])
    assert all(w <= 4000 and h <= 4000 for w, h in sizes.values()), sizes
