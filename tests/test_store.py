"""The saved model's folder (analysis.store): its files, its parts read back as written, and the folders it
refuses."""

import dataclasses
import json
import shutil

import numpy as np
import pytest

from analysis import store
from analysis.topics import load_topics


def test_a_save_is_three_parts_read_back_as_written(tmp_path, seed_result):
    store.write(seed_result, tmp_path / "model")
    assert sorted(p.name for p in (tmp_path / "model").iterdir()) == ["bertopic", store.META_FILE, store.PAPERS_FILE]
    saved = store.read(tmp_path / "model")
    assert saved.params == dataclasses.asdict(seed_result.params)
    assert saved.topics.equals(seed_result.topics) and saved.terms.equals(seed_result.terms)
    assert saved.centroids.dtype == np.float32 and np.array_equal(saved.centroids, seed_result.centroids)
    assert np.allclose(saved.centres, seed_result.centres, atol=1e-7)
    assert saved.model.custom_labels_ == seed_result.topics["label"].tolist()
    # a run's own columns stay out of the saved papers
    run = seed_result.papers.assign(period="2025-W01", novel=False, is_new=True)
    store.write(dataclasses.replace(seed_result, papers=run), tmp_path / "again")
    assert store.read(tmp_path / "again").papers.columns.tolist() == seed_result.papers.columns.tolist()


def test_a_run_folder_given_for_its_model_gets_the_right_path(tmp_path, seed_result):
    store.write(seed_result, tmp_path / "run" / "model")
    with pytest.raises(ValueError) as refused:
        store.check_model_dir(tmp_path / "run")
    assert str(refused.value) == (
        f"{tmp_path / 'run'}: --model is not a saved topic model (no {store.META_FILE}); "
        f"did you mean {tmp_path / 'run' / 'model'}?"
    )
    (tmp_path / "run" / "model" / store.META_FILE).write_text("{not json")
    with pytest.raises(ValueError, match=r"digest_topics.json: corrupt saved topic model"):
        store.read(tmp_path / "run" / "model")


def test_load_refuses_a_folder_that_is_not_a_model(tmp_path):
    with pytest.raises(ValueError, match="not a saved topic model"):
        load_topics(tmp_path)


def test_topics_saved_by_an_earlier_version_are_refused_with_a_hint(tmp_path, seed_result):
    seed_result.save(tmp_path / "model")
    meta = json.loads((tmp_path / "model" / "digest_topics.json").read_text())
    shutil.copytree(tmp_path / "model", tmp_path / "old")
    (tmp_path / "old" / "papers.parquet").unlink()  # saved before the papers were kept
    old_meta = {k: v for k, v in meta.items() if k not in ("centroids", "broad_centroids")}
    (tmp_path / "old" / "digest_topics.json").write_text(json.dumps(old_meta))
    with pytest.raises(ValueError) as refused:
        load_topics(tmp_path / "old")
    assert str(refused.value) == (
        f"{tmp_path / 'old'}: topics saved by an earlier version of digest-topics (no centroids, broad_centroids, "
        "papers.parquet); fit them again with run to save topics this version can update"
    )
    # parameters under the display names an earlier version saved them by
    params = {"topic counts" if k == "counts_chosen_by" else k: v for k, v in meta["params"].items()}
    renamed = dict(meta, params=params)
    (tmp_path / "model" / "digest_topics.json").write_text(json.dumps(renamed))
    with pytest.raises(ValueError, match=r"earlier version of digest-topics \(parameters clustering, embedding_model"):
        load_topics(tmp_path / "model")


def test_a_list_column_is_saved_with_the_papers_also_after_an_update(tmp_path, seed_result):
    # a table's list column (arXiv's categories) reads back from the saved Parquet as arrays, and an update
    # then holds lists and arrays side by side: both are saved as lists
    papers = seed_result.papers.assign(categories=[["cs.CL", "cs.LG"], ["cs.CV"]] * (len(seed_result.papers) // 2))
    papers["categories"] = [np.array(v) if i % 3 else v for i, v in enumerate(papers["categories"])]
    papers.loc[5, "categories"] = None
    dataclasses.replace(seed_result, papers=papers).save(tmp_path / "model")
    saved = load_topics(tmp_path / "model").papers["categories"]
    assert [None if v is None else list(v) for v in saved[:6]] == [
        ["cs.CL", "cs.LG"], ["cs.CV"], ["cs.CL", "cs.LG"], ["cs.CV"], ["cs.CL", "cs.LG"], None
    ]  # fmt: skip
