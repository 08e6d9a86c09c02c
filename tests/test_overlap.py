import numpy as np
import pandas as pd
import pytest
from scipy.stats import fisher_exact

from analysis.overlap import classify_topics, digest_similarity, enrichment, overlap_tables, topic_digest_counts
from analysis.topics import broad_level


def _papers(spec):
    """spec: list of (digest, topic, paper_id)."""
    rows = [{"digest": d, "topic": t, "topic_label": f"T{t}", "paper_id": p, "title": f"paper {p}"} for d, t, p in spec]
    frame = pd.DataFrame(rows)
    frame["n_digests"] = frame.groupby("paper_id")["digest"].transform("nunique")
    return frame


# digest A: 20 papers of topic 0, 2 of topic 1; digest B: 2 of topic 0, 20 of topic 1; topic 2 only in A (3).
SPEC = (
    [("A", 0, f"a{i}") for i in range(20)]
    + [("A", 1, f"a1{i}") for i in range(2)]
    + [("B", 0, f"b{i}") for i in range(2)]
    + [("B", 1, f"b1{i}") for i in range(20)]
    + [("A", 2, f"u{i}") for i in range(3)]
    + [("B", 1, "a0")]
)


def test_counts_and_shares():
    counts = topic_digest_counts(_papers(SPEC))
    a0 = counts[(counts.topic == 0) & (counts.digest == "A")].iloc[0]
    assert (a0["count"], a0["digest_size"]) == (20, 25)
    assert a0["share"] == pytest.approx(0.8)
    assert counts.groupby("digest")["share"].sum().round(10).tolist() == [1.0, 1.0]
    assert counts["topic_label"].tolist()[:2] == ["T0", "T0"]


def test_enrichment_matches_scipy_and_bh():
    table = enrichment(topic_digest_counts(_papers(SPEC)))
    row = table[(table.topic == 0) & (table.digest == "A")].iloc[0]
    expected = fisher_exact([[20, 5], [2, 21]])
    assert row["p_value"] == pytest.approx(expected.pvalue)
    assert row["odds_ratio"] == pytest.approx(expected.statistic)
    p = np.sort(table["p_value"].to_numpy())
    assert table["q_value"].min() == pytest.approx(min(p * len(p) / np.arange(1, len(p) + 1)))
    assert (table["q_value"] >= table["p_value"]).all()


def test_classes():
    classes = classify_topics(enrichment(topic_digest_counts(_papers(SPEC)))).set_index("topic")
    assert classes.loc[0, "class"] == "distinctive" and classes.loc[0, "digest"] == "A"
    assert classes.loc[1, "class"] == "distinctive" and classes.loc[1, "digest"] == "B"
    assert classes.loc[2, "class"] == "unique" and classes.loc[2, "digest"] == "A"
    assert classes.loc[0, "q_value"] < 0.001


def test_balanced_topic_is_shared():
    spec = [("A", 0, f"a{i}") for i in range(5)] + [("B", 0, f"b{i}") for i in range(5)]
    spec += [("A", 1, f"c{i}") for i in range(5)] + [("B", 1, f"d{i}") for i in range(5)]
    classes = classify_topics(enrichment(topic_digest_counts(_papers(spec))))
    assert classes["class"].tolist() == ["shared", "shared"]
    assert classes["q_value"].tolist() == [1.0, 1.0]


def test_similarity_is_js_distance():
    sim = digest_similarity(topic_digest_counts(_papers(SPEC)))
    assert sim.index.tolist() == ["A", "B"] and np.allclose(np.diag(sim), 0)
    assert sim.loc["A", "B"] == pytest.approx(sim.loc["B", "A"]) and 0.5 < sim.loc["A", "B"] < 1
    disjoint = _papers([("A", 0, "x"), ("B", 1, "y")])
    assert digest_similarity(topic_digest_counts(disjoint)).loc["A", "B"] == pytest.approx(1.0)


def test_shared_papers_and_single_digest():
    tables = overlap_tables(_papers(SPEC))
    assert tables.shared_papers[["paper_id", "digests"]].values.tolist() == [["a0", "A | B"]]
    single = overlap_tables(_papers([("A", 0, "x"), ("A", 0, "y"), ("A", 1, "z")]))
    assert single.classes["class"].tolist() == ["unique", "unique"]
    assert single.counts["q_value"].tolist() == [1.0, 1.0]
    assert single.shared_papers.empty


def test_seed_overlap(seed_result):
    tables = overlap_tables(seed_result.papers)
    assert tables.shared_papers["title"].tolist() == [
        "Superpipeline: A Universal Approach for Reducing GPU Memory Usage in Large Models"
    ]
    classes = tables.classes.set_index("topic_label")
    assert classes.loc["In-context learning", "class"] == "distinctive"
    assert classes.loc["In-context learning", "digest"] == "002_b41ed8"
    # at the broad level too, the area that holds in-context learning is distinctive of the second digest
    broad = overlap_tables(broad_level(seed_result.papers)).classes.set_index("topic_label")
    area = seed_result.topics.set_index("label").loc["In-context learning", "broad_topic_label"]
    assert broad.loc[area, ["class", "digest"]].tolist() == ["distinctive", "002_b41ed8"]


def test_a_group_by_column_name_is_never_a_path_or_markup(tmp_path):
    from analysis.pipeline import run

    evil, climb = "<img src=x onerror=alert(1)>", "../../escaped"
    subjects = ["graph neural networks", "protein folding", "speech recognition"]
    rows = [
        {
            "title": f"Paper {i} on {subjects[i % 3]}",
            "abstract": f"We study {subjects[i % 3]} in experiment {i}.",
            climb: "ab"[i % 2],
            evil: "cd"[i % 2],
        }
        for i in range(12)
    ]
    pd.DataFrame(rows).to_csv(tmp_path / "t.csv", index=False)
    out = tmp_path / "a" / "b" / "out"
    run([tmp_path / "t.csv"], out, group_by=climb, static=False, log=lambda m: None)
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["b"]
    assert sorted(p.name for p in (tmp_path / "a" / "b").iterdir()) == ["out"]  # nothing beside out/
    assert (out / "escaped_similarity.csv").is_file() and (out / "figures" / "escaped_butterfly.html").is_file()
    run([tmp_path / "t.csv"], tmp_path / "evil", group_by=evil, static=False, log=lambda m: None)
    report = (tmp_path / "evil" / "report.html").read_text()
    assert evil not in report and 'id="plot-img_src_x_onerror_alert_1_topic_heatmap"' in report
    assert (tmp_path / "evil" / "img_src_x_onerror_alert_1_similarity.csv").is_file()


def test_group_by_a_column_of_too_many_values_is_refused_before_any_work(tmp_path):
    from analysis.overlap import MAX_GROUP_VALUES
    from analysis.pipeline import run

    n = MAX_GROUP_VALUES + 1
    rows = [{"title": f"Paper {i}", "abstract": f"Abstract {i}.", "author": f"author {i}"} for i in range(n)]
    pd.DataFrame(rows).to_csv(tmp_path / "t.csv", index=False)
    with pytest.raises(ValueError, match=f"--group-by 'author' has {n} values; topics are compared across at most"):
        run([tmp_path / "t.csv"], tmp_path / "out", group_by="author", log=lambda m: None)
    assert not (tmp_path / "out").exists()
