"""The main job, stage by stage: load, embed, fit (or place onto saved topics), periods and trends, overlap,
figures, report."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

import pandas as pd

from analysis._io import RUN_MARKER, atomic_dir, check_out_dir, plural
from analysis.cluster import check_cluster_args, connect
from analysis.digests import load_digests
from analysis.embeddings import Embedder, cache_dir
from analysis.errors import InputError, NoBrowserError
from analysis.figures import build_figures
from analysis.figures.export import started_browser, write_html, write_static
from analysis.levels import check_counts, unit_rows
from analysis.overlap import MAX_GROUPS, choose_unit, overlap_tables
from analysis.projection import project_2d
from analysis.report import render_report
from analysis.topics import broad_level, check_model_dir, fit_topics, load_topics, save_topics
from analysis.trends import MIN_PERIODS, PERIODS, Trends, assign_periods, topic_trends

__all__ = ["periods_and_trends", "run"]


class Stopwatch:
    """Seconds spent in each stage, in the order the stages ran."""

    def __init__(self):
        self.seconds: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.seconds[stage] = round(self.seconds.get(stage, 0.0) + now - self._last, 2)
        self._last = now


def _write_csv(frame: pd.DataFrame, path: Path, **kwargs) -> None:
    frame.to_csv(path, lineterminator="\n", **{"index": False, **kwargs})


def run(
    paths,
    out: str | Path,
    *,
    seed: int = 42,
    embedding_model: str | None = None,
    n_topics: int | None = None,
    n_broad: int | None = None,
    model_dir: str | Path | None = None,
    year: int | None = None,
    names: dict[str, str] | None = None,
    period: str = "auto",
    group_by: str | None = None,
    static: bool = True,
    precision: str | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    log=print,
) -> dict:
    """Run the whole analysis and write everything into ``out``.

    Returns the frames, tables and figures it wrote, and ``timings``: seconds per stage (load, embed, fit or
    place, trends, overlap, map, figures, static, write).

    Writes ``papers.csv`` (every load column plus ``topic``, ``topic_label``, ``broad_topic``,
    ``broad_topic_label``), ``topics.csv`` (fine topics with their ``stability`` and ``broad_topic``),
    ``broad_topics.csv``, the overlap tables (``overlap_counts.csv`` with q-values, ``overlap_classes.csv``,
    ``digest_similarity.csv``, ``shared_papers.csv``; ``broad_overlap_counts.csv`` and
    ``broad_overlap_classes.csv`` for the broad topics), ``figures/NAME.html`` (+ ``.png``/``.svg`` when a
    browser is found and ``static``), ``report.html`` and the fitted model in ``model/``. With ``model_dir``
    (the ``model/`` of an earlier run) papers are placed onto its topics instead, and ``papers.csv`` gains
    ``topic_similarity`` and ``novel``. Nothing is written to ``out`` unless every stage succeeds.

    Dated digests: every paper gets a ``period`` (``period``: ``auto`` or one of :data:`analysis.trends.PERIODS`)
    and, with at least 3 periods, ``trends.csv`` and ``trend_shares.csv`` test each topic for a trend
    (``broad_trends.csv`` each broad topic). The overlap tables compare ``group_by`` (a column) if given, else
    digests, or periods when there are more than
    :data:`analysis.overlap.MAX_GROUPS` dated digests.

    ``precision``: the embedding arithmetic (see :func:`analysis.embeddings.choose_precision`; default: ``auto``,
    or the saved topics' precision with ``model_dir``). ``scheduler`` (a Dask scheduler's address) or
    ``workers`` (a local Dask cluster of that many processes): embed and place papers on that cluster
    (:mod:`analysis.cluster`); the results are those of a run in one process.
    """
    clock = Stopwatch()
    if period not in PERIODS:
        raise InputError(f"--period must be one of {', '.join(PERIODS)}; got {period!r}")
    flags = ("--n-topics", "--n-broad")
    check_out_dir(out)
    check_cluster_args(scheduler, workers)
    check_counts(None, n_topics, n_broad, names=flags)  # before any work; the bound by papers after loading
    if model_dir:
        check_model_dir(model_dir)
    papers = load_digests(*paths, year=year, names=names)
    log(f"loaded {plural(len(papers), 'paper')} from {plural(papers['digest'].nunique(), 'digest')}")
    clock.lap("load")
    if group_by is not None and group_by != "period":
        choose_unit(papers, group_by)  # a wrong column fails here, before any embedding
    check_counts(len(papers), n_topics, n_broad, names=flags)
    saved = load_topics(model_dir) if model_dir else None
    if saved and embedding_model and embedding_model != saved.params["embedding_model"]:
        raise InputError(
            f"--embedding-model {embedding_model!r} differs from the saved topics' "
            f"{saved.params['embedding_model']!r}: placing papers needs the same embeddings"
        )
    model = embedding_model or (saved.params["embedding_model"] if saved else None)
    precision = precision or (saved.params["precision"] if saved else "auto")
    embedder = Embedder(model, precision=precision)  # a precision that cannot run fails here, before any work
    with atomic_dir(out) as staging, connect(scheduler, workers) as client, contextlib.ExitStack() as later:
        embedder.client = client
        vectors = embedder.embed_papers(papers)
        clock.lap("embed")
        # Papers embedded just now are new, so their images will be too: the browser for PNG and SVG starts
        # now, beside the fit, not after it. A rerun's images come from the image cache and start no browser.
        browser = later.enter_context(started_browser(static and embedder.n_computed_ > 0))
        if saved is not None:
            papers = saved.assign(papers, embeddings=vectors, client=client)
            sizes = papers["topic"].value_counts()
            topics = saved.topics.assign(size=saved.topics["topic"].map(sizes).fillna(0).astype(int))
            broad_sizes = papers["broad_topic"].value_counts()
            broad = saved.broad.assign(size=saved.broad["broad_topic"].map(broad_sizes).fillna(0).astype(int))
            terms, centres, params = saved.terms, saved.centres, dict(saved.params)
            params["placed_onto"] = str(model_dir)
            log(f"placed them onto {plural(len(topics), 'saved topic')}; {int(papers['novel'].sum())} flagged as novel")
            clock.lap("place")
        else:
            result = fit_topics(
                papers, seed=seed, n_topics=n_topics, n_broad=n_broad, embeddings=vectors, embedder=embedder
            )
            papers, topics, broad, terms, centres, params = (
                result.papers,
                result.topics,
                result.broad,
                result.terms,
                result.centres,
                dict(result.params),
            )
            vectors = result.embeddings
            for message in result.messages:
                log(message)
            save_topics(result, staging / "model")
            chosen = "chosen from the data" if params["topic counts"] != "as given" else "as given"
            log(f"found {plural(len(topics), 'topic')} in {plural(len(broad), 'broad topic')} ({chosen})")
            clock.lap("fit")
        params["inputs"] = ", ".join(map(str, paths))
        papers, trends = periods_and_trends(papers, period, log)
        broad_papers = broad_level(papers)
        broad_trends = None if trends is None else topic_trends(broad_papers, unit=trends.unit)
        if trends is not None:
            params["periods"] = f"{trends.unit}s, {trends.span}"
        clock.lap("trends")
        unit = choose_unit(papers, group_by)
        if unit == "period" and group_by is None:
            log(f"{papers['digest'].nunique()} digests (more than {MAX_GROUPS}): topics compared across periods")
        params["overlap compared across"] = f"{unit}s"
        if papers[unit].nunique() < 2:
            log(f"one {unit} only: every topic is unique to it; comparing topics needs two or more {unit}s")
        overlap = overlap_tables(papers, by=unit)
        broad_overlap = overlap_tables(broad_papers, by=unit)
        clock.lap("overlap")
        coords = project_2d(unit_rows(vectors), seed=seed)
        clock.lap("map")
        figures = build_figures(papers, topics, terms, centres, overlap, coords, trends, broad_trends)
        write_html(figures, staging / "figures")
        clock.lap("figures")
        if static:
            try:
                write_static(figures, staging / "figures", cache=cache_dir() / "figures", browser=browser)
            except NoBrowserError as error:
                log(str(error))
            clock.lap("static")
        _write_csv(papers, staging / "papers.csv")
        _write_csv(topics, staging / "topics.csv")
        _write_csv(broad, staging / "broad_topics.csv")
        if trends is not None:
            _write_csv(trends.table, staging / "trends.csv")
            _write_csv(trends.shares, staging / "trend_shares.csv")
            _write_csv(broad_trends.table, staging / "broad_trends.csv")
        _write_csv(overlap.counts, staging / "overlap_counts.csv")
        _write_csv(overlap.classes, staging / "overlap_classes.csv")
        _write_csv(broad_overlap.counts, staging / "broad_overlap_counts.csv")
        _write_csv(broad_overlap.classes, staging / "broad_overlap_classes.csv")
        _write_csv(overlap.similarity, staging / f"{unit}_similarity.csv", index=True, index_label=unit)
        _write_csv(overlap.shared_papers, staging / "shared_papers.csv")
        report = render_report(
            papers, topics, overlap, figures, params, trends=trends, broad=broad, broad_trends=broad_trends
        )
        (staging / RUN_MARKER).write_text(report, encoding="utf-8")
    clock.lap("write")
    log(f"wrote {plural(len(figures), 'figure')}, the report and the tables to {out}/")
    return {
        "papers": papers,
        "topics": topics,
        "broad": broad,
        "overlap": overlap,
        "broad_overlap": broad_overlap,
        "trends": trends,
        "broad_trends": broad_trends,
        "figures": figures,
        "timings": clock.seconds,
    }


def periods_and_trends(papers: pd.DataFrame, period: str = "auto", log=print) -> tuple[pd.DataFrame, Trends | None]:
    """Papers with a ``period`` column, and their trends when the dates span at least ``MIN_PERIODS`` periods;
    otherwise ``None``, with one line saying why."""
    papers = assign_periods(papers, period)
    undated = int((papers["period"] == "").sum())
    if undated == len(papers):
        log("trends skipped: no digest has a date (dates come from page date lines, file names or a date column)")
        return papers, None
    trends = topic_trends(papers)  # fewer than MIN_PERIODS periods: nothing is fitted, so this stays cheap
    if len(trends.periods) < MIN_PERIODS:
        n, unit = len(trends.periods), trends.unit
        spanned = f"{n} {unit}" + ("s" if n != 1 else "")
        log(f"trends skipped: the dated digests span {spanned}; a trend needs at least {MIN_PERIODS} {unit}s")
        return papers, None
    if undated:
        log(f"{undated} papers in undated digests are left out of the trends")
    log(trends.summary())
    return papers, trends
