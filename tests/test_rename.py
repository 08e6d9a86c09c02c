"""Names the user sets: `rename` on a saved model, checked before any work, and kept in the saved topics."""

import hashlib

import pytest

from analysis.__main__ import main
from analysis.topics import MAX_LABEL, load_topics


def _digest(folder):
    """A fingerprint of every file in a saved model, to show that a refused rename left it as it was."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def model_dir(seed_result, tmp_path):
    folder = tmp_path / "model"
    seed_result.save(folder)
    return folder


def test_rename_a_fine_and_a_broad_topic(model_dir, seed_result, capsys):
    before = seed_result.topics.loc[2, "label"]
    assert main(["rename", str(model_dir), "2", "  Serving  LLMs on GPUs "]) == 0
    said = capsys.readouterr().out.strip()
    assert said == f"renamed topic 2 from {before!r} to 'Serving LLMs on GPUs' in {model_dir}"
    assert main(["rename", str(model_dir), "1", "In-context and continual learning", "--broad"]) == 0
    saved = load_topics(model_dir)
    topics, broad, papers = saved.topics, saved.broad, saved.papers
    assert topics.loc[2, ["label", "label_source"]].tolist() == ["Serving LLMs on GPUs", "user"]
    assert (topics.drop(index=2)["label"] == seed_result.topics.drop(index=2)["label"]).all()
    assert topics.drop(index=2)["label_source"].eq("phrase").all()
    assert set(papers.loc[papers["topic"] == 2, "topic_label"]) == {"Serving LLMs on GPUs"}
    assert saved.model.custom_labels_[2 + saved.model._outliers] == "Serving LLMs on GPUs"
    parent = topics.loc[2, "broad_topic"]
    assert "Serving LLMs on GPUs" in broad.loc[parent, "topics"].split(" | ")
    assert broad.loc[1, ["label", "label_source"]].tolist() == ["In-context and continual learning", "user"]
    assert broad.drop(index=1)["label_source"].eq("phrase").all()
    assert set(topics.loc[topics["broad_topic"] == 1, "broad_topic_label"]) == {"In-context and continual learning"}
    assert set(papers.loc[papers["broad_topic"] == 1, "broad_topic_label"]) == {"In-context and continual learning"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["99", "Agents"], "error: no such topic: [99] (topics are 0..9)"),
        (["7", "Agents", "--broad"], "error: no such broad topic: [7] (broad topics are 0..3)"),
        (["1", "   "], "error: a topic's name must not be empty"),
        (["1", "x" * (MAX_LABEL + 1)], f"error: a topic's name must be at most 80 characters, got 81: {'x' * 40!r}..."),
    ],
)
def test_a_refused_rename_says_why_in_one_line_and_changes_nothing(model_dir, args, message, capsys):
    before = _digest(model_dir)
    assert main(["rename", str(model_dir), *args]) == 1
    assert capsys.readouterr().err.strip().splitlines() == [message]
    assert _digest(model_dir) == before


def test_rename_refuses_a_folder_that_is_not_a_model(tmp_path, capsys):
    (tmp_path / "out").mkdir()
    assert main(["rename", str(tmp_path / "out"), "1", "Agents"]) == 1
    error = capsys.readouterr().err.strip()
    assert error.startswith(f"error: {tmp_path / 'out'}: MODEL_DIR is not a saved topic model") and "\n" not in error
