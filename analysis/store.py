"""Saved topics on disk: the folder's schema, written and read in one place.

A saved model is a folder (a run's ``model/``, or :func:`analysis.topics.save_topics`'s) holding:

* ``bertopic/``: the BERTopic model (safetensors, c-TF-IDF included, no embedding model);
* :data:`META_FILE`: the fit's parameters, both levels' tables, the topics' centres and k-means centres (by
  topic id) and the top terms, as JSON;
* :data:`PAPERS_FILE`: the papers the topics hold (an update reports over them and the new ones), without a
  run's own columns (:data:`analysis.columns.RUN_COLUMNS`).

:func:`write` takes fitted topics (a :class:`~analysis.topics.TopicResult`) and :func:`read` gives back their
parts (:class:`Saved`); :mod:`analysis.topics` turns those into its own types, so this module imports none of
them. A folder saved by an earlier version, without the parts an update needs, is refused with a one-line hint.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from analysis._bertopic import load_bertopic
from analysis._io import atomic_dir, is_missing, quiet_logger
from analysis.columns import RUN_COLUMNS
from analysis.errors import InputError

__all__ = ["META_FILE", "PAPERS_FILE", "Saved", "check_model_dir", "earlier_version", "read", "write"]

META_FILE = "digest_topics.json"
PAPERS_FILE = "papers.parquet"


@dataclass
class Saved:
    """The parts of a saved model, as :func:`read` gives them: the tables as saved, ``params`` as the dict of
    the fit's parameters, ``centres`` (not yet made unit length), ``centroids`` and ``broad_centroids`` as
    float32 rows in ``topics`` order, and the BERTopic ``model``."""

    papers: pd.DataFrame
    topics: pd.DataFrame
    broad: pd.DataFrame
    model: object
    terms: pd.DataFrame
    centres: np.ndarray
    centroids: np.ndarray
    broad_centroids: np.ndarray
    params: dict


def write(result, directory: str | Path) -> None:
    """Save fitted topics (a :class:`~analysis.topics.TopicResult`) into ``directory``, atomically."""
    # BERTopic warns when saved without its embedding model; ours is recorded in our own file
    with atomic_dir(directory) as staging, quiet_logger("BERTopic"):
        result.model.save(
            staging / "bertopic",
            serialization="safetensors",
            save_ctfidf=True,
            save_embedding_model=False,
        )
        ids = [int(t) for t in result.topics["topic"]]
        meta = {
            "params": dataclasses.asdict(result.params),
            "topics": result.topics.to_dict(orient="list"),
            "broad": result.broad.to_dict(orient="list"),
            "centres": {t: c.tolist() for t, c in zip(ids, result.centres, strict=True)},
        }
        meta["centroids"] = {t: c.tolist() for t, c in zip(ids, result.centroids, strict=True)}
        meta["broad_centroids"] = result.broad_centroids.tolist()
        meta["terms"] = result.terms.to_dict(orient="list")
        (staging / META_FILE).write_text(json.dumps(meta, indent=1))
        _history(result.papers).to_parquet(staging / PAPERS_FILE, index=False)


def _history(papers: pd.DataFrame) -> pd.DataFrame:
    """The papers as a saved model keeps them: every column but a run's own (period, novelty, new themes); a
    column of mixed types (a table's extra column) as text, which Parquet can hold."""
    history = papers.drop(columns=[c for c in RUN_COLUMNS if c in papers.columns]).reset_index(drop=True)
    for column in history.columns:
        if not pd.api.types.is_object_dtype(history[column]):
            continue
        # a list column (a table's ``categories``) reads back from Parquet as arrays: an update mixes the two
        values = history[column].map(lambda v: list(v) if isinstance(v, np.ndarray | tuple) else v)
        if values.map(type).loc[~values.map(is_missing)].nunique() > 1:
            values = values.map(lambda v: v if is_missing(v) else str(v))
        history[column] = values
    return history


def _with_label_source(table: pd.DataFrame) -> pd.DataFrame:
    """A level's table with ``label_source`` (saved before it existed: every name was a phrase)."""
    if "label_source" not in table.columns:
        table.insert(int(table.columns.get_loc("label")) + 1, "label_source", "phrase")
    return table


def check_model_dir(directory: str | Path, flag: str = "--model") -> None:
    """Raise ``InputError`` with a hint unless ``directory`` holds saved topics (cheap: nothing is imported or
    read but a file listing)."""
    directory = Path(directory)
    if (directory / META_FILE).is_file():
        return
    if (directory / "model" / META_FILE).is_file():
        hint = f"did you mean {directory / 'model'}?"
    elif not directory.exists():
        hint = "no such directory"
    else:
        hint = "give the model/ directory that run writes into its --out directory (e.g. out/model)"
    raise InputError(f"{directory}: {flag} is not a saved topic model (no {META_FILE}); {hint}")


def earlier_version(directory: str | Path, what: str) -> InputError:
    """The error for a folder saved by an earlier version; ``what`` says what gives it away."""
    return InputError(
        f"{directory}: topics saved by an earlier version of digest-topics ({what}); "
        "fit them again with run to save topics this version can update"
    )


def read(directory: str | Path) -> Saved:
    """The parts saved in ``directory`` by :func:`write` (offline: the embedding model is not part of the save;
    nor are the papers' embeddings, which are in the embedding cache)."""
    directory = Path(directory)
    check_model_dir(directory)
    meta_path, papers_path = directory / META_FILE, directory / PAPERS_FILE
    try:
        meta = json.loads(meta_path.read_text())
    except ValueError as error:
        raise InputError(f"{meta_path}: corrupt saved topic model ({error})") from None
    missing = [part for part in ("centroids", "broad_centroids", "terms") if part not in meta]
    missing += [] if papers_path.is_file() else [PAPERS_FILE]
    if missing:
        raise earlier_version(directory, f"no {', '.join(missing)}")
    try:
        topics, broad = (_with_label_source(pd.DataFrame(meta[level])) for level in ("topics", "broad"))
        centres = np.array([meta["centres"][str(t)] for t in topics["topic"]], dtype=np.float32)
        centroids = np.array([meta["centroids"][str(t)] for t in topics["topic"]], dtype=np.float32)
        broad_centroids = np.array(meta["broad_centroids"], dtype=np.float32)
    except (ValueError, KeyError) as error:
        raise InputError(f"{meta_path}: corrupt saved topic model ({error})") from None
    model = load_bertopic(str(directory / "bertopic"))
    terms, papers = pd.DataFrame(meta["terms"]), pd.read_parquet(papers_path)
    return Saved(
        papers=papers,
        topics=topics,
        broad=broad,
        model=model,
        terms=terms,
        centres=centres,
        centroids=centroids,
        broad_centroids=broad_centroids,
        params=meta["params"],
    )
