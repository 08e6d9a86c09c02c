"""The main job, stage by stage: load, embed, fit (or place onto saved topics), write."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis._io import atomic_dir
from analysis.digests import load_digests
from analysis.embeddings import Embedder
from analysis.topics import fit_topics, load_topics, save_topics

__all__ = ["run"]


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    frame.to_csv(path, index=False, lineterminator="\n")


def run(
    paths,
    out: str | Path,
    *,
    seed: int = 42,
    embedding_model: str | None = None,
    n_topics: int | None = None,
    model_dir: str | Path | None = None,
    year: int | None = None,
    log=print,
) -> dict[str, pd.DataFrame]:
    """Run the whole analysis and write ``out/papers.csv``, ``out/topics.csv`` and ``out/model/``.

    With ``model_dir`` (a ``model/`` folder of an earlier run) the papers are placed onto its saved topics
    instead of fitting new ones, and ``papers.csv`` gains ``topic_similarity`` and ``novel``. Nothing is
    written to ``out`` unless every stage succeeds.
    """
    papers = load_digests(*paths, year=year)
    log(f"loaded {len(papers)} papers from {papers['digest'].nunique()} digests")
    saved = load_topics(model_dir) if model_dir else None
    embedder = Embedder(embedding_model or (saved.params["embedding_model"] if saved else None))
    with atomic_dir(out) as staging:
        if saved is not None:
            papers = saved.assign(papers, embedder=embedder)
            sizes = papers["topic"].value_counts()
            topics = saved.topics.assign(size=saved.topics["topic"].map(sizes).fillna(0).astype(int))
            log(f"placed them onto {len(topics)} saved topics; {int(papers['novel'].sum())} flagged as novel")
        else:
            result = fit_topics(papers, seed=seed, n_topics=n_topics, embedder=embedder)
            papers, topics = result.papers, result.topics
            for message in result.messages:
                log(message)
            save_topics(result, staging / "model")
            log(f"found {len(topics)} topics")
        _write_csv(papers, staging / "papers.csv")
        _write_csv(topics, staging / "topics.csv")
    log(f"wrote {out}/papers.csv, {out}/topics.csv")
    return {"papers": papers, "topics": topics}
