"""The main job, stage by stage: load, embed, fit (or place onto saved topics), overlap, figures, report."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis._io import atomic_dir
from analysis.digests import load_digests
from analysis.embeddings import Embedder
from analysis.figures import build_figures
from analysis.figures.export import write_html, write_static
from analysis.overlap import overlap_tables
from analysis.projection import project_2d
from analysis.report import render_report
from analysis.topics import fit_topics, load_topics, save_topics, terms_frame

__all__ = ["run"]


def _write_csv(frame: pd.DataFrame, path: Path, **kwargs) -> None:
    frame.to_csv(path, lineterminator="\n", **{"index": False, **kwargs})


def run(
    paths,
    out: str | Path,
    *,
    seed: int = 42,
    embedding_model: str | None = None,
    n_topics: int | None = None,
    model_dir: str | Path | None = None,
    year: int | None = None,
    static: bool = True,
    log=print,
) -> dict:
    """Run the whole analysis and write everything into ``out``.

    Writes ``papers.csv`` (every load column plus ``topic``, ``topic_label``), ``topics.csv``, the overlap
    tables (``overlap_counts.csv`` with q-values, ``overlap_classes.csv``, ``digest_similarity.csv``,
    ``shared_papers.csv``), ``figures/NAME.html`` (+ ``.png``/``.svg`` when a browser is found and
    ``static``), ``report.html`` and the fitted model in ``model/``. With ``model_dir`` (the ``model/`` of an
    earlier run) papers are placed onto its topics instead, and ``papers.csv`` gains ``topic_similarity`` and
    ``novel``. Nothing is written to ``out`` unless every stage succeeds.
    """
    papers = load_digests(*paths, year=year)
    log(f"loaded {len(papers)} papers from {papers['digest'].nunique()} digests")
    saved = load_topics(model_dir) if model_dir else None
    if saved and embedding_model and embedding_model != saved.params["embedding_model"]:
        raise ValueError(
            f"--embedding-model {embedding_model!r} differs from the saved topics' "
            f"{saved.params['embedding_model']!r}: placing papers needs the same embeddings"
        )
    embedder = Embedder(embedding_model or (saved.params["embedding_model"] if saved else None))
    with atomic_dir(out) as staging:
        if saved is not None:
            vectors = embedder.embed_papers(papers)
            papers = saved.assign(papers, embeddings=vectors)
            sizes = papers["topic"].value_counts()
            topics = saved.topics.assign(size=saved.topics["topic"].map(sizes).fillna(0).astype(int))
            terms, centres, params = terms_frame(saved.model, topics), saved.centres, dict(saved.params)
            params["placed_onto"] = str(model_dir)
            log(f"placed them onto {len(topics)} saved topics; {int(papers['novel'].sum())} flagged as novel")
        else:
            result = fit_topics(papers, seed=seed, n_topics=n_topics, embedder=embedder)
            papers, topics, terms, centres, params = (
                result.papers,
                result.topics,
                result.terms,
                result.centres,
                dict(result.params),
            )
            vectors = result.embeddings
            for message in result.messages:
                log(message)
            save_topics(result, staging / "model")
            log(f"found {len(topics)} topics")
        params["inputs"] = ", ".join(map(str, paths))
        overlap = overlap_tables(papers)
        figures = build_figures(papers, topics, terms, centres, overlap, project_2d(vectors, seed=seed))
        _write_csv(papers, staging / "papers.csv")
        _write_csv(topics, staging / "topics.csv")
        _write_csv(overlap["counts"], staging / "overlap_counts.csv")
        _write_csv(overlap["classes"], staging / "overlap_classes.csv")
        _write_csv(overlap["similarity"], staging / "digest_similarity.csv", index=True, index_label="digest")
        _write_csv(overlap["shared_papers"], staging / "shared_papers.csv")
        write_html(figures, staging / "figures")
        if static:
            try:
                write_static(figures, staging / "figures")
            except RuntimeError as error:
                log(str(error))
        (staging / "report.html").write_text(render_report(papers, topics, overlap, figures, params), encoding="utf-8")
    log(f"wrote {len(figures)} figures, the report and the tables to {out}/")
    return {"papers": papers, "topics": topics, "overlap": overlap, "figures": figures}
