import re

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from helpers import SEED_FIGURES

from analysis.figure_set import build_figures
from analysis.figures import (
    butterfly,
    document_map,
    similarity_matrix,
    topic_sizes,
    topics_over_time,
    trend_changes,
)
from analysis.figures.theme import SUBTITLE_WIDTH, TEMPLATE
from analysis.figures.trends import _log_ticks
from analysis.overlap import overlap_tables
from analysis.projection import project_2d
from analysis.trends import assign_periods, topic_trends

EVIL = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def seed_figures(seed_result):
    r = seed_result
    coords = project_2d(r.embeddings, seed=42)
    return build_figures(r.papers, r.topics, r.terms, r.centres, overlap_tables(r.papers), coords)


@pytest.mark.slow
def test_seed_figures(seed_figures, seed_result):
    assert list(seed_figures) == SEED_FIGURES
    assert all(isinstance(f, go.Figure) for f in seed_figures.values())
    sizes = seed_figures["topic_sizes"]
    assert len(sizes.data) == 2 and sum(sum(t.x) for t in sizes.data) == 186
    butterfly = seed_figures["digest_butterfly"]
    starred = [label for label in butterfly.data[0].y if "★" in label]
    assert any(label.startswith("In-context learning ★ q=") for label in starred)
    n_topics = len(seed_result.topics)
    topic_traces = [t for t in seed_figures["document_map"].data if t.legendgroup != "digests"]
    shape_traces = [t for t in seed_figures["document_map"].data if t.legendgroup == "digests"]
    assert len(topic_traces) == n_topics and sum(len(t.x) for t in topic_traces) == 186
    # which marker shape is which digest is in the legend, not only in a subtitle
    assert [(t.name, t.marker.symbol) for t in shape_traces] == [
        ("000_b07f67", "circle"),
        ("002_b41ed8", "diamond"),
    ]
    assert len(seed_figures["top_terms"].data) == n_topics
    assert seed_figures["digest_topic_heatmap"].data[0].z.shape == (2, n_topics)


def test_figures_are_pure_and_repeatable(seed_result):
    tables = overlap_tables(seed_result.papers)
    assert butterfly(tables.counts).to_json() == butterfly(tables.counts).to_json()
    assert np.array_equal(project_2d(seed_result.embeddings, seed=3), project_2d(seed_result.embeddings, seed=3))


def _ten_digests():
    rng = np.random.default_rng(0)
    rows = []
    for d in range(10):
        for i in range(30):
            topic = int(rng.integers(0, 5))
            rows.append(
                {
                    "digest": f"2025-01-{d + 1:02d}",
                    "digest_date": pd.Timestamp(f"2025-01-{d + 1:02d}"),
                    "topic": topic,
                    "topic_label": f"Topic {topic}",
                    "paper_id": f"{d}-{i}",
                    "title": EVIL if i == 0 else f"paper {d}-{i}",
                    "n_digests": 1,
                }
            )
    return pd.DataFrame(rows)


def test_ten_digests_get_a_similarity_matrix_and_trend_figures():
    papers = _ten_digests()
    tables = overlap_tables(papers)
    matrix = similarity_matrix(tables.similarity)
    assert matrix.data[0].z.shape == (10, 10)
    trends = topic_trends(assign_periods(papers))
    timeline = topics_over_time(trends)
    dots = [t for t in timeline.data if t.mode == "markers"]
    assert len(dots) == 5 and all(len(t.x) == 10 for t in dots)
    assert sum(t.y.sum() for t in dots) == pytest.approx(10)  # shares of each day sum to 1
    assert "Topics over time, 2025-01-01 – 2025-01-10, 10 days" in timeline.layout.title.text
    changes = trend_changes(trends)
    assert sorted(label for t in changes.data for label in t.y) == [f"Topic {i}" for i in range(5)]
    assert [t.name for t in changes.data] == ["steady"]  # random topics: no trend
    with pytest.raises(ValueError, match="exactly 2 digests"):
        butterfly(tables.counts)


def test_trend_figures_read_at_800_px():
    trends = topic_trends(assign_periods(_ten_digests()))
    timeline = topics_over_time(trends)
    # every panel carries its own first, middle and last day, whichever row its column ends on
    axes = [timeline.layout[name] for name in timeline.layout if name.startswith("xaxis")]
    assert {tuple(axis.tickvals) for axis in axes} == {("2025-01-01", "2025-01-06", "2025-01-10")}
    assert all(axis.showticklabels for axis in axes)
    # the log axis names its ticks in full: no bare "2" or "5" between the decades
    assert _log_ticks(np.array([0.3, 1.0, 4.0])) == [0.2, 0.5, 1, 2, 5]
    assert _log_ticks(np.array([0.01, 80.0])) == [0.01, 0.1, 1, 10, 100]
    assert _log_ticks(np.array([np.nan, np.inf])) == [1]
    changes = trend_changes(trends)
    assert list(changes.layout.xaxis.ticktext) == [f"{t:g}" for t in changes.layout.xaxis.tickvals]
    # a long subtitle is wrapped to lines that fit 800 px, and the top margin grows to hold them
    lines = re.findall(r"<span[^>]*>([^<]*)</span>", changes.layout.title.text)
    assert len(lines) == 2 and all(len(line) <= SUBTITLE_WIDTH for line in lines)
    assert changes.layout.margin.t == TEMPLATE.layout.margin.t + 18


def test_digest_text_is_escaped_in_figures():
    papers = _ten_digests()
    figure = document_map(papers, np.zeros((len(papers), 2)))
    texts = [t for trace in figure.data for t in trace.text or ()]
    assert "&lt;img src=x onerror=alert(1)&gt;" in texts and EVIL not in texts


def test_projection_is_cached_and_a_corrupt_entry_recomputed(seed_result, embedding_cache):
    first = project_2d(seed_result.embeddings, seed=5)
    entries = list((embedding_cache / "projections").glob("*.npy"))
    assert len(entries) >= 1
    newest = max(entries, key=lambda p: p.stat().st_mtime_ns)
    newest.write_bytes(b"garbage")
    assert np.array_equal(project_2d(seed_result.embeddings, seed=5), first)
    assert np.array_equal(np.load(newest), first)


def test_topics_in_the_same_order_in_sizes_heatmap_and_butterfly(seed_figures, seed_result):
    def plain(labels):
        return [label.split(" ★")[0][:15] for label in labels]  # the heatmap's axis shortens long labels

    sizes = plain(seed_figures["topic_sizes"].data[0].y)[::-1]  # horizontal bars: the first category is lowest
    butterfly = plain(seed_figures["digest_butterfly"].data[0].y)[::-1]
    heatmap = plain(seed_figures["digest_topic_heatmap"].data[0].x)
    assert sizes == butterfly == heatmap and len(sizes) == len(seed_result.topics)


def test_hierarchy_draws_each_broad_topic_in_its_treemap_colour(seed_figures, seed_result):
    from analysis.figures.theme import escaped_short, topic_colour

    figure, topics = seed_figures["topic_hierarchy"], seed_result.topics
    axis = figure.layout.yaxis
    broad_of = dict(zip((escaped_short(label, 36) for label in topics["label"]), topics["broad_topic"], strict=True))
    assert sorted(axis.ticktext) == sorted(broad_of)
    sizes = topics["broad_topic"].value_counts()
    assert {trace.line.color for trace in figure.data} == {topic_colour(b) for b in sizes.index if sizes[b] > 1} | {
        "#9e9e9e"
    }
    for y, label in zip(axis.tickvals, axis.ticktext, strict=True):
        broad = broad_of[label]
        colour = topic_colour(broad) if sizes[broad] > 1 else "#9e9e9e"
        at_leaf = [t.line.color for t in figure.data if any(x == 0 and v == y for x, v in zip(t.x, t.y, strict=True))]
        assert at_leaf == [colour], label


HOSTILE = "R&D <lab>"


def _strings(node):
    """Every string in a figure's JSON."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


def _shown(text: str) -> str:
    """What a person sees of a Plotly string: its markup dropped, its entities read."""
    import html

    return html.unescape(re.sub(r"<[^>]*>", " ", text))


@pytest.mark.parametrize("hostile", [HOSTILE, "Q&A", EVIL])
def test_every_figure_shows_hostile_text_as_written_and_runs_none(seed_result, hostile):
    import json

    from analysis.topics import relabel_topics

    r = relabel_topics(seed_result, {0: hostile})
    digests = r.papers["digest"].unique()
    other = "Q&A" if hostile != "Q&A" else "Q&A, again"
    papers = r.papers.assign(digest=r.papers["digest"].map({digests[0]: hostile, digests[1]: other}))
    figures = build_figures(papers, r.topics, r.terms, r.centres, overlap_tables(papers), np.zeros((len(papers), 2)))
    timeline = _ten_digests().assign(topic_label=lambda p: p["topic_label"].replace("Topic 0", hostile))
    trends = topic_trends(assign_periods(timeline))
    figures |= {"topics_over_time": topics_over_time(trends), "trend_changes": trend_changes(trends)}
    for name, figure in figures.items():
        strings = list(_strings(json.loads(figure.to_json())))
        assert not any(re.search("&amp;(amp|lt|gt);", s) for s in strings), name  # escaped twice: shows "&amp;"
        assert not any("<lab>" in s or "<img" in s for s in strings), name  # never markup
        assert any(hostile in _shown(s) for s in strings), name  # shown as written
    butterfly = figures["digest_butterfly"].layout.title.text
    assert _shown(butterfly).startswith(f"{hostile} vs {other}")


def test_map_labels_do_not_overlap_and_new_papers_are_outlined():
    from analysis.figures.docmap import CHAR_PX, LINE_PX, PLOT_PX

    rng = np.random.default_rng(0)
    labels = ["Graphical user interface", "Deep research", "Chain-of-thought reasoning", "GUI agents", "RAG"]
    papers = pd.DataFrame(
        {
            "topic": np.repeat(range(5), 20),
            "topic_label": np.repeat(labels, 20),
            "digest": "d",
            "title": [f"paper {i}" for i in range(100)],
            "is_new": np.arange(100) % 10 == 0,
        }
    )
    coords = np.vstack([rng.normal(0, 0.3, (20, 2)) for _ in range(5)]) + [[10, 10]]  # five topics on one spot
    coords[0] = [0, 0]  # and one far paper, so the labels' spot is a small part of the plot
    figure = document_map(papers, coords)
    (low_x, high_x), (low_y, high_y) = figure.layout.xaxis.range, figure.layout.yaxis.range
    boxes = []
    for note in figure.layout.annotations:
        x = (note.x - low_x) / (high_x - low_x) * PLOT_PX[0] + (note.ax if note.showarrow else 0)
        y = (note.y - low_y) / (high_y - low_y) * PLOT_PX[1] - (note.ay if note.showarrow else 0)
        width = CHAR_PX * len(note.text.removeprefix("<b>").removesuffix("</b>")) + 8
        boxes.append((x, y, width))
    assert len(boxes) == 5 and any(note.showarrow for note in figure.layout.annotations)
    for i, (x, y, w) in enumerate(boxes):
        for bx, by, bw in boxes[:i]:
            assert abs(x - bx) * 2 >= w + bw - 1e-6 or abs(y - by) >= LINE_PX - 1e-6
    new = [t for t in figure.data if t.name == "new in this update"]
    assert len(new) == 1 and len(new[0].x) == 10 and new[0].marker.line.width > 1
    assert not [t for t in document_map(papers.drop(columns="is_new"), coords).data if t.name == "new in this update"]


def test_text_put_into_a_hovertemplate_cannot_fill_it_in():
    papers = pd.DataFrame(
        {"topic": [0, 0], "topic_label": ["%{customdata} <b>"] * 2, "digest": ["%{x}", "%{x}"], "title": ["a", "b"]}
    )
    figure = document_map(papers, np.array([[0.0, 0.0], [1.0, 1.0]]))
    template = figure.data[0].hovertemplate
    assert "&#123;customdata&#125; &lt;b&gt;" in template and template.count("%{") == 2  # its own two fields
    counts = pd.DataFrame(
        {"topic": [0, 0], "topic_label": ["t", "t"], "digest": ["%{x}", "b"], "count": [1, 1], "share": [1.0, 1.0]}
    ).assign(digest_size=1)
    for trace in topic_sizes(counts).data:  # a stacked bar per digest names its digest in the hover
        assert trace.hovertemplate.count("%{") == 2, trace.hovertemplate
