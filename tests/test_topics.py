import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from helpers import DATA, ROOT

from analysis.errors import InputError
from analysis.topics import fit_topics, load_topics, save_topics


def test_seed_topics_meet_the_bar(seed_result, seed_papers):
    topics, papers = seed_result.topics, seed_result.papers
    assert 8 <= len(topics) <= 20
    assert (papers["topic"] == -1).mean() <= 0.05
    assert topics["size"].sum() == len(seed_papers) == 186
    assert topics["topic"].tolist() == list(range(len(topics)))
    assert (
        topics.columns[-3:].tolist() == ["broad_topic", "broad_topic_label", "adopted"] and not topics["adopted"].any()
    )
    assert papers.columns.tolist() == seed_papers.columns.tolist() + [
        "topic",
        "topic_label",
        "broad_topic",
        "broad_topic_label",
    ]
    assert (papers["topic_label"] == papers["topic"].map(dict(zip(topics.topic, topics.label, strict=True)))).all()
    assert all(len(t.split("; ")) == 10 for t in topics["top_terms"])
    for _, topic in topics.iterrows():
        titles = topic["representative_titles"].split(" | ")
        members = papers[papers.topic == topic.topic]
        assert set(titles) <= set(members["title"])
        assert len(titles) == min(3, members["paper_id"].nunique()) == len(set(titles))  # distinct papers


def test_two_nested_levels(seed_result):
    topics, broad, papers = seed_result.topics, seed_result.broad, seed_result.papers
    assert 3 <= len(broad) <= 8 and len(broad) < len(topics)
    # nested: each fine topic has exactly one broad topic, and its papers follow it
    assert papers.groupby("topic")["broad_topic"].nunique().eq(1).all()
    assert (papers["broad_topic"] == papers["topic"].map(topics.set_index("topic")["broad_topic"])).all()
    assert broad["broad_topic"].tolist() == list(range(len(broad)))
    assert broad["size"].tolist() == papers["broad_topic"].value_counts().sort_index().tolist()
    assert broad["size"].is_monotonic_decreasing and broad["n_topics"].sum() == len(topics)
    assert (broad["n_topics"] == topics["broad_topic"].value_counts().sort_index().to_numpy()).all()
    for table in (topics, broad):
        assert table["stability"].between(0, 1).all() and table["label"].is_unique
    assert (papers["broad_topic_label"] == papers["broad_topic"].map(broad.set_index("broad_topic")["label"])).all()
    # a broad topic of several fine topics never takes the label of another broad topic's fine topic (it may take
    # one of its own: the core of the group); one of a single fine topic is that topic
    several = broad["n_topics"] > 1
    for _, row in broad[several].iterrows():
        others = topics.loc[topics["broad_topic"] != row["broad_topic"], "label"].str.casefold()
        assert row["label"].casefold() not in set(others), row["label"]
    single = broad.loc[~several].set_index("broad_topic")["label"]
    assert (topics.set_index("broad_topic").loc[single.index, "label"] == single).all()


@pytest.mark.parametrize(("n", "n_topics"), [(1, 1), (2, 1), (5, 1), (20, 2)])
def test_tiny_corpora_degrade_with_a_message(seed_papers, n, n_topics):
    result = fit_topics(seed_papers.iloc[:n].reset_index(drop=True), seed=1)
    assert result.topics["size"].sum() == result.broad["size"].sum() == n
    assert len(result.topics) == n_topics and len(result.broad) == min(n_topics, 2)
    assert result.papers[["topic_label", "broad_topic_label"]].notna().all().all()
    if n < 20:
        are = "paper is" if n == 1 else "papers are"
        assert result.messages == [f"{n} {are} too few to split into topics: all are in one"]


def test_same_seed_same_topics_and_other_seed_runs(seed_papers, seed_result):
    again = fit_topics(seed_papers, seed=42, embeddings=seed_result.embeddings)
    assert again.papers.equals(seed_result.papers) and again.topics.equals(seed_result.topics)


@pytest.mark.slow
def test_counts_depend_on_the_papers_not_on_the_seed(seed_papers, seed_result):
    # before the counts had their own random stream, seeds 1, 2 and 3 gave 17, 14 and 12 fine topics
    for seed in (1, 2, 3):
        other = fit_topics(seed_papers, seed=seed, embeddings=seed_result.embeddings)
        assert (len(other.topics), len(other.broad)) == (len(seed_result.topics), len(seed_result.broad)) == (10, 4)
        assert other.granularity.curve.equals(seed_result.granularity.curve)


def test_bad_parameters(seed_papers):
    with pytest.raises(ValueError, match=r"n_topics must be between 1 and the number of papers \(186\), got 0"):
        fit_topics(seed_papers, n_topics=0)
    with pytest.raises(ValueError, match=r"n_broad \(5\) cannot exceed n_topics \(4\)"):
        fit_topics(seed_papers, n_topics=4, n_broad=5)
    with pytest.raises(ValueError, match="embeddings have 3 rows for 186 papers"):
        fit_topics(seed_papers, embeddings=np.zeros((3, 384)))


def test_save_load_and_place_new_papers(tmp_path, seed_result, seed_papers):
    from analysis.topics import TopicResult

    seed_result.save(tmp_path / "model")
    saved = load_topics(tmp_path / "model")
    assert type(saved) is TopicResult and saved.embeddings is None  # one type
    # the papers the topics hold are saved with them (an update reports over them)
    pd.testing.assert_frame_equal(saved.papers, seed_result.papers.reset_index(drop=True), check_dtype=False)
    assert saved.topics.equals(seed_result.topics) and saved.broad.equals(seed_result.broad)
    assert saved.terms.equals(seed_result.terms)
    # Papers the topics were fitted on get their own topics back: placement is the fit's nearest-centre rule.
    columns = ["topic", "topic_label", "broad_topic", "broad_topic_label"]
    for topics in (seed_result, saved):
        placed = topics.assign(seed_papers)
        pd.testing.assert_frame_equal(placed[columns], seed_result.papers[columns])
    assert placed["novel"].mean() == pytest.approx(0.02, abs=0.02)
    odd = pd.DataFrame({"title": ["Sourdough starter hydration"], "abstract": ["We bake bread at 78% hydration."]})
    assert saved.assign(odd)["novel"].tolist() == [True]
    assert saved.model.custom_labels_ == seed_result.topics["label"].tolist()
    save_topics(saved, tmp_path / "again")  # a loaded model saves as it was loaded
    again = load_topics(tmp_path / "again")
    assert np.array_equal(again.centroids, saved.centroids) and np.array_equal(again.centres, saved.centres)
    assert np.array_equal(again.broad_centroids, seed_result.broad_centroids)


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "analysis", *map(str, args)], capture_output=True, text=True, cwd=ROOT)


@pytest.mark.slow
def test_cli_run_is_byte_identical_across_processes(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    for out in (first, second):
        result = _cli("run", DATA, "--out", out, "--seed", 7)
        assert result.returncode == 0, result.stderr
    # every file: tables, report, figures (HTML divs named after the figure, not random), images, model
    files = sorted(path.relative_to(first) for path in first.rglob("*") if path.is_file())
    assert files == sorted(path.relative_to(second) for path in second.rglob("*") if path.is_file())
    assert [name for name in files if (first / name).read_bytes() != (second / name).read_bytes()] == []
    assert {"papers.csv", "report.html", "figures/topic_sizes.html", "model/digest_topics.json"} <= set(map(str, files))
    papers = pd.read_csv(first / "papers.csv")
    assert len(papers) == 186 and papers.columns[-5:].tolist() == [
        "topic",
        "topic_label",
        "broad_topic",
        "broad_topic_label",
        "period",
    ]
    assert (first / "model" / "digest_topics.json").is_file()
    assert "found " in result.stdout


@pytest.mark.slow
def test_cli_run_places_onto_a_saved_model(tmp_path):
    assert _cli("run", DATA, "--out", tmp_path / "fit").returncode == 0
    new = tmp_path / "new.csv"
    pd.DataFrame(
        {
            "title": ["KV cache eviction for long-context serving", "Sourdough hydration"],
            "abstract": [
                "We evict tokens from the KV cache to save GPU memory at inference.",
                "We bake bread at different hydration levels and taste it.",
            ],
        }
    ).to_csv(new, index=False)
    result = _cli("run", new, "--model", tmp_path / "fit" / "model", "--out", tmp_path / "placed")
    assert result.returncode == 0, result.stderr
    placed = pd.read_csv(tmp_path / "placed" / "papers.csv")
    assert len(placed) == 186 + 2 and placed["is_new"].sum() == 2  # the saved papers, then the new ones
    placed = placed[placed["is_new"]]
    topics = pd.read_csv(tmp_path / "fit" / "topics.csv").set_index("label")
    # a KV-cache paper lands in the systems area that holds the "KV cache" topic
    assert placed["broad_topic_label"].iloc[0] == topics.loc["KV cache", "broad_topic_label"]
    assert placed["novel"].tolist() == [False, True]
    assert "1 flagged as novel" in result.stdout
    other = _cli(
        "run",
        new,
        "--model",
        tmp_path / "fit" / "model",
        "--embedding-model",
        "other-model",
        "--out",
        tmp_path / "other",
    )
    assert other.returncode == 1 and "differs from the saved topics' 'all-MiniLM-L6-v2'" in other.stderr
    assert not (tmp_path / "other").exists()


@pytest.mark.slow
def test_cli_run_refusal_writes_nothing(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("name\nx\n")
    out = tmp_path / "out"
    result = _cli("run", DATA, bad, "--out", out)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [f"error: {bad}: no title or abstract column (columns found: name)"]
    assert not out.exists()
    result = _cli("run", DATA, "--model", tmp_path / "nope", "--out", out)
    assert result.returncode == 1 and "not a saved topic model" in result.stderr and not out.exists()


def test_relabelling_returns_a_copy_and_leaves_the_result_alone(seed_result):
    from analysis import relabel_topics

    before = (seed_result.topics.copy(), seed_result.papers.copy(), seed_result.model.custom_labels_)
    renamed = relabel_topics(seed_result, {0: "Large-batch training"})
    assert renamed.topics.set_index("topic").at[0, "label"] == "Large-batch training"
    assert set(renamed.papers.loc[renamed.papers["topic"] == 0, "topic_label"]) == {"Large-batch training"}
    assert renamed.model.custom_labels_[0] == "Large-batch training"  # no outlier topic: index = topic
    pd.testing.assert_frame_equal(seed_result.topics, before[0])
    pd.testing.assert_frame_equal(seed_result.papers, before[1])
    assert seed_result.model.custom_labels_ == before[2]
    with pytest.raises(InputError, match=r"no such topic: \[99\]"):
        relabel_topics(seed_result, {99: "x"})


@pytest.mark.slow
def test_topic_model_is_an_estimator_whose_fit_is_fit_topics(seed_result, seed_papers):
    from analysis import TopicModel

    model = TopicModel(seed=42)
    assert model.fit(seed_papers, embeddings=seed_result.embeddings) is model  # fit returns the model
    # what it learned is held once, in result_; the other fitted attributes are views of it
    assert sorted(name for name in vars(model) if name.endswith("_")) == ["result_"]
    assert model.topics_ is model.result_.topics and model.centroids_ is model.result_.centroids
    pd.testing.assert_frame_equal(model.topics_, seed_result.topics)
    assert np.array_equal(model.labels_, seed_result.papers["topic"].to_numpy())
    assert np.array_equal(model.centroids_, seed_result.centroids)
    placed = model.transform(seed_papers, embeddings=seed_result.embeddings)
    assert placed["topic"].tolist() == seed_result.papers["topic"].tolist()  # placement is the fit's own rule
    assert TopicModel(n_topics=4, n_broad=2).fit(seed_papers, seed_result.embeddings).topics_.shape[0] == 4


def test_topic_model_is_a_scikit_learn_estimator_that_saves_and_loads_as_one(seed_result, seed_papers, tmp_path):
    from sklearn.base import clone
    from sklearn.exceptions import NotFittedError

    from analysis import TopicModel

    model = TopicModel(n_topics=4, n_broad=2, seed=3)
    assert model.get_params() == {"n_topics": 4, "n_broad": 2, "seed": 3, "embedder": None}
    assert clone(model).set_params(seed=5).get_params()["seed"] == 5 and model.seed == 3
    with pytest.raises(NotFittedError):
        model.transform(seed_papers, embeddings=seed_result.embeddings)
    with pytest.raises(NotFittedError):
        model.topics_  # noqa: B018  (the property is the check)
    model.fit(seed_papers, embeddings=seed_result.embeddings)
    model.save(tmp_path / "model")
    loaded = TopicModel.load(tmp_path / "model")
    assert isinstance(loaded, TopicModel) and loaded.get_params() == model.get_params()
    pd.testing.assert_frame_equal(loaded.topics_, model.topics_)
    placed = loaded.transform(seed_papers, embeddings=seed_result.embeddings)
    assert placed["topic"].tolist() == model.labels_.tolist()


def test_the_fit_and_placement_leave_the_embeddings_they_are_given_alone(seed_papers, seed_result):
    from analysis.embeddings import Embedder
    from analysis.projection import nearest_neighbours

    vectors = Embedder().embed_papers(seed_papers)
    before = vectors.copy()
    refit = fit_topics(seed_papers, seed=42, embeddings=vectors)
    placed = seed_result.assign(seed_papers, embeddings=vectors)
    nearest_neighbours(vectors, 5)
    assert np.array_equal(vectors, before)
    assert refit.papers["topic"].equals(seed_result.papers["topic"]) and placed["topic"].equals(refit.papers["topic"])
