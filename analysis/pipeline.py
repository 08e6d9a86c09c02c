"""The main job, one way through: check the arguments, load, embed, analyse (fit, or place onto saved topics
as an update with its history and new themes; periods and trends, overlap, map, figures), write."""

from __future__ import annotations

import contextlib
import dataclasses
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from analysis._io import RUN_MARKER, atomic_dir, check_out_dir, file_stem, plural
from analysis.browser import started_browser
from analysis.columns import MAP_COLUMNS
from analysis.dask_cluster import check_cluster_args, connect
from analysis.digests import load_digests
from analysis.embeddings import Embedder, cache_dir
from analysis.errors import InputError, NoBrowserError
from analysis.export import write_html, write_static
from analysis.figure_set import build_figures
from analysis.levels import check_counts, unit_rows
from analysis.namer import Namer, check_namer, llm_names
from analysis.overlap import MAX_GROUPS, OverlapTables, choose_unit, overlap_tables
from analysis.projection import project_2d
from analysis.report import render_report
from analysis.store import check_model_dir
from analysis.terms import representative_titles
from analysis.topics import (
    FitParams,
    TopicResult,
    broad_level,
    fit_topics,
    load_topics,
    save_topics,
)
from analysis.trends import (
    MIN_PERIODS,
    Trends,
    assign_periods,
    check_period,
    resolve_period,
    skipped_periods,
    topic_trends,
)
from analysis.update import this_update, update

__all__ = ["RunOptions", "RunResult", "analyse", "periods_and_trends", "run"]


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


@dataclass
class RunResult:
    """Everything a run found, as :func:`analyse` returns it; :meth:`write` writes it into a directory.

    ``papers`` carry their topics and ``period``; in an update (placement onto saved topics) they are the saved
    papers then the new ones, with ``is_new`` and ``new_theme``, and ``new_themes`` is the table of new themes
    (:mod:`analysis.update`), else None. ``model`` is what ``model/`` receives: the fit, or the saved topics
    with this update's papers (and, adopted, its new themes). ``unit`` is what the overlap tables compare.
    ``params`` is how the topics were fitted; ``inputs`` and ``placed_onto`` (the files read, and the saved
    topics of an update) are for the report's parameters (:meth:`parameters`); ``timings`` is the run's
    stopwatch (:func:`run` adds the write and the images). :func:`analyse` builds it whole, by keyword.
    """

    papers: pd.DataFrame
    topics: pd.DataFrame
    broad: pd.DataFrame
    terms: pd.DataFrame
    centres: np.ndarray
    overlap: OverlapTables
    broad_overlap: OverlapTables
    trends: Trends | None
    broad_trends: Trends | None
    figures: dict
    params: FitParams
    model: TopicResult
    unit: str
    new_themes: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)
    changes: pd.DataFrame | None = None
    recent: dict = field(default_factory=dict)
    seed: int | None = None
    inputs: str = ""
    placed_onto: str = ""
    timings: dict = field(default_factory=dict)

    def parameters(self) -> dict:
        """The run's parameters by name, in report order: the fit's (:class:`~analysis.topics.FitParams`), the
        periods of the trend tests, what the overlap tables compare, the inputs and the saved topics placed
        onto (the report names and explains each)."""
        out = dataclasses.asdict(self.params)
        if self.seed is not None and self.seed != self.params.seed:  # an update's own seed: its new-theme test's
            out["seed"] = f"{self.seed} (this update's new-theme clustering; the topics were fitted with {out['seed']})"
        out.pop("review_period")
        everything = out.pop("review_inputs")
        if self.trends is not None:
            out["periods"] = f"{self.trends.unit}s, {self.trends.span}"
        out["overlap_unit"] = f"{self.unit}s"
        if self.inputs:
            earlier = everything.removesuffix(self.inputs).removesuffix("; ")
            out["inputs"] = f"{self.inputs} (this update); the saved review's: {earlier}" if earlier else self.inputs
        if self.placed_onto:
            out["placed_onto"] = self.placed_onto
        return out

    def write(self, directory: Path) -> None:
        """Write the tables, the HTML figures, the report and ``model/`` into ``directory`` (images: see
        :func:`analysis.export.write_static`)."""
        directory = Path(directory)
        write_html(self.figures, directory / "figures")
        save_topics(self.model, directory / "model")
        papers = self.papers
        if "new_theme" in papers:  # a paper in no new theme has an empty cell, not -1
            papers = papers.assign(new_theme=papers["new_theme"].where(papers["new_theme"] >= 0).astype("Int64"))
        _write_csv(papers, directory / "papers.csv")
        _write_csv(self.topics, directory / "topics.csv")
        _write_csv(self.broad, directory / "broad_topics.csv")
        if self.new_themes is not None:
            _write_csv(self.new_themes, directory / "new_themes.csv")
        if self.changes is not None:
            _write_csv(self.changes, directory / "this_update.csv")
        if self.trends is not None:
            _write_csv(self.trends.table, directory / "trends.csv")
            _write_csv(self.trends.shares, directory / "trend_shares.csv")
            _write_csv(self.broad_trends.table, directory / "broad_trends.csv")
        _write_csv(self.overlap.counts, directory / "overlap_counts.csv")
        _write_csv(self.overlap.classes, directory / "overlap_classes.csv")
        _write_csv(self.broad_overlap.counts, directory / "broad_overlap_counts.csv")
        _write_csv(self.broad_overlap.classes, directory / "broad_overlap_classes.csv")
        _write_csv(
            self.overlap.similarity,
            directory / f"{file_stem(self.unit)}_similarity.csv",
            index=True,
            index_label=self.unit,
        )
        _write_csv(self.overlap.shared_papers, directory / "shared_papers.csv")
        report = render_report(
            self.papers,
            self.topics,
            self.overlap,
            self.figures,
            self.parameters(),
            trends=self.trends,
            broad=self.broad,
            broad_trends=self.broad_trends,
            new_themes=self.new_themes,
            notes=self.notes,
            changes=self.changes,
            recent=self.recent,
        )
        (directory / RUN_MARKER).write_text(report, encoding="utf-8")


@dataclass(frozen=True)
class RunOptions:
    """What :func:`run` is asked to do besides which digests and where (the ``run`` command's options, one field
    per flag: ``model_dir`` is ``--model``, ``static`` is not ``--no-static``, ``names`` the ``--name`` pairs).

    ``precision`` None: ``auto``, or the saved topics' own precision with ``model_dir``; ``period`` None: ``auto``,
    or the saved review's period with ``model_dir``. :meth:`check` refuses mistakes before any work."""

    seed: int = 42
    embedding_model: str | None = None
    n_topics: int | None = None
    n_broad: int | None = None
    model_dir: str | Path | None = None
    adopt: bool = False
    move_saved: bool = False
    year: int | None = None
    names: dict[str, str] | None = None
    period: str | None = None
    group_by: str | None = None
    static: bool = True
    precision: str | None = None
    scheduler: str | None = None
    workers: int | None = None
    namer: str | None = None
    namer_model: str | None = None

    def check(self, out: str | Path) -> None:
        """Raise ``InputError`` for options that cannot work, before anything is read or embedded (the bound of
        the counts by the number of papers is checked after loading)."""
        if self.period is not None:
            check_period(self.period, "--period")
        check_out_dir(out)
        check_cluster_args(self.scheduler, self.workers)
        check_namer(self.namer, self.namer_model)
        if self.namer and self.model_dir:
            raise InputError(
                "--namer names the topics of a new fit; an update keeps the saved names "
                "(digest-topics rename MODEL_DIR TOPIC NAME changes one)"
            )
        check_counts(None, self.n_topics, self.n_broad, names=COUNT_FLAGS)
        if self.model_dir:
            check_model_dir(self.model_dir)
        elif self.adopt:
            raise InputError("--adopt makes the new themes of an update topics: it needs --model")
        if self.move_saved and not self.adopt:
            raise InputError("--move-saved moves the saved papers of adopted themes into them: it needs --adopt")


COUNT_FLAGS = ("--n-topics", "--n-broad")


def run(paths, out: str | Path, options: RunOptions | None = None, *, log=print, **changes) -> RunResult:
    """Run the whole analysis and write everything into ``out``: check the arguments, load, embed,
    :func:`analyse`, :meth:`RunResult.write` (and PNG/SVG images). ``options`` (a :class:`RunOptions`), with
    ``changes`` (its fields by keyword: ``run(paths, out, model_dir="review/model", static=False)``). Returns
    the :class:`RunResult`, with ``timings``: seconds per stage (load, embed, fit or place, trends, overlap,
    map, figures, static, write).

    Writes ``papers.csv`` (every load column plus ``topic``, ``topic_label``, ``broad_topic``,
    ``broad_topic_label``), ``topics.csv`` (fine topics with their ``stability`` and ``broad_topic``),
    ``broad_topics.csv``, the overlap tables (``overlap_counts.csv`` with q-values, ``overlap_classes.csv``,
    ``digest_similarity.csv``, ``shared_papers.csv``; ``broad_overlap_counts.csv`` and
    ``broad_overlap_classes.csv`` for the broad topics), ``figures/NAME.html`` (+ ``.png``/``.svg`` when a
    browser is found and ``static``), ``report.html`` and the fitted model in ``model/``. Nothing is written to
    ``out`` unless every stage succeeds.

    With ``model_dir`` (the ``model/`` of an earlier run) the papers are an update: they are placed onto its
    topics, and everything is reported over the papers saved with it plus these (``papers.csv`` gains
    ``is_new``, ``new_theme``, ``topic_similarity`` and ``novel``); ``new_themes.csv`` lists the new themes
    (:mod:`analysis.new_themes`); ``model/`` is the saved topics with all the papers, so the next update
    extends this one, and with ``adopt`` the new themes become topics in it.

    Dated digests: every paper gets a ``period`` (``period``: ``auto`` or one of :data:`analysis.trends.PERIODS`)
    and, with at least 3 periods, ``trends.csv`` and ``trend_shares.csv`` test each topic for a trend
    (``broad_trends.csv`` each broad topic). The overlap tables compare ``group_by`` (a column) if given, else
    digests, or periods when there are more than :data:`analysis.overlap.MAX_GROUPS` dated digests.

    ``precision``: the embedding arithmetic (see :func:`analysis.embeddings.choose_precision`; default: ``auto``,
    or the saved topics' precision with ``model_dir``). ``scheduler`` (a Dask scheduler's address) or
    ``workers`` (a local Dask cluster of that many processes): embed and place papers on that cluster
    (:mod:`analysis.dask_cluster`); the results are those of a run in one process.
    """
    o = dataclasses.replace(options or RunOptions(), **changes)
    clock = Stopwatch()
    o.check(out)
    papers = load_digests(*paths, year=o.year, names=o.names)
    log(f"loaded {plural(len(papers), 'paper')} from {plural(papers['digest'].nunique(), 'digest')}")
    clock.lap("load")
    if o.group_by is not None and o.group_by != "period":
        choose_unit(papers, o.group_by)  # a wrong column fails here, before any embedding
    check_counts(len(papers), o.n_topics, o.n_broad, names=COUNT_FLAGS)
    saved = load_topics(o.model_dir) if o.model_dir else None
    if saved and o.embedding_model and o.embedding_model != saved.params.embedding_model:
        raise InputError(
            f"--embedding-model {o.embedding_model!r} differs from the saved topics' "
            f"{saved.params.embedding_model!r}: placing papers needs the same embeddings"
        )
    model = o.embedding_model or (saved.params.embedding_model if saved else None)
    precision = o.precision or (saved.params.precision if saved else "auto")
    embedder = Embedder(model, precision=precision)  # a precision that cannot run fails here, before any work
    with atomic_dir(out) as staging, connect(o.scheduler, o.workers) as cluster, contextlib.ExitStack() as later:
        embedder.cluster = cluster
        browser = None

        def start_browser(n_new: int) -> None:
            # Papers not embedded before are new, so their images will be too: the browser for PNG and SVG
            # starts now, while the embedding model loads (one core), not beside the fit's k-means (both cores:
            # that doubled a month's placement) nor after it. A rerun's images come from the image cache and
            # start no browser.
            nonlocal browser
            browser = later.enter_context(started_browser(o.static and n_new > 0))

        vectors = embedder.embed_papers(papers, before_encoding=start_browser)
        clock.lap("embed")
        namer = Namer(o.namer, o.namer_model, cache=cache_dir() / "names") if o.namer else None
        inputs = ", ".join(map(str, paths))
        result = analyse(
            papers, vectors, o, saved=saved, embedder=embedder, cluster=cluster, log=log, clock=clock, namer=namer,
            inputs=inputs,
        )  # fmt: skip
        result.write(staging)
        clock.lap("write")
        if o.static:
            try:
                write_static(result.figures, staging / "figures", cache=cache_dir() / "figures", browser=browser)
            except NoBrowserError as error:
                log(str(error))
            clock.lap("static")
    log(f"wrote {plural(len(result.figures), 'figure')}, the report and the tables to {str(out).rstrip('/')}/")
    return result


def _fit(papers, vectors, *, seed, n_topics, n_broad, embedder, log) -> TopicResult:
    result = fit_topics(papers, seed=seed, n_topics=n_topics, n_broad=n_broad, embeddings=vectors, embedder=embedder)
    for message in result.messages:
        log(message)
    chosen = "chosen from the data" if result.params.counts_chosen_by != "as given" else "as given"
    log(f"found {plural(len(result.topics), 'topic')} in {plural(len(result.broad), 'broad topic')} ({chosen})")
    return result


def _sized(table: pd.DataFrame, papers: pd.DataFrame, column: str) -> pd.DataFrame:
    sizes = papers[column].value_counts()
    return table.assign(size=table[column].map(sizes).fillna(0).astype(int))


def analyse(
    papers: pd.DataFrame,
    vectors: np.ndarray,
    options: RunOptions | None = None,
    *,
    saved: TopicResult | None = None,
    embedder: Embedder | None = None,
    cluster=None,
    log=print,
    clock: Stopwatch | None = None,
    namer: Namer | None = None,
    inputs: str = "",
) -> RunResult:
    """Topics (fitted, or ``saved`` ones with these papers as an update), periods and trends, overlap, the
    document map and the figures of embedded ``papers``, as ``options`` (a :class:`RunOptions`) ask; nothing is
    written. ``namer``: a fit's topics are named through it (:func:`analysis.namer.llm_names`). ``period`` None:
    the saved review's period in an update, else ``auto``; the model written keeps the period used and
    ``inputs`` (what was read) after the saved review's."""
    o = options or RunOptions()
    adopt, seed, period = o.adopt, o.seed, o.period
    clock = clock or Stopwatch()
    embedder = embedder or Embedder()
    new_themes = None
    notes = []  # what an update changed in the saved review, for the log (already said) and the report
    if saved is not None:
        found = update(
            saved, papers, vectors, seed=seed, adopt=adopt, move_saved=o.move_saved, embedder=embedder, cluster=cluster
        )
        for line in found.messages:
            log(line)
        notes += found.notes
        # reported as written: adopted themes are topics of this month's tables already, so nothing moves later
        model, vectors, new_themes, coords = found.model, found.vectors, found.new_themes, found.coords
        papers = model.papers
        topics, broad = _sized(model.topics, papers, "topic"), _sized(model.broad, papers, "broad_topic")
        terms, centres, params = model.terms, model.centres, model.params
        clock.lap("place")
    else:
        model = _fit(papers, vectors, seed=seed, n_topics=o.n_topics, n_broad=o.n_broad, embedder=embedder, log=log)
        model = llm_names(model, namer, log)
        papers, topics, broad, terms, centres = model.papers, model.topics, model.broad, model.terms, model.centres
        vectors, params = model.embeddings, model.params
        clock.lap("fit")
    period, changed = review_period(saved, papers["digest_date"], period)
    if changed:
        log(changed)
    papers, trends = periods_and_trends(papers, period, log)
    skipped = skipped_periods(papers, period) if saved is not None else ""
    if skipped:
        log(skipped)
    notes += [line for line in (changed, skipped) if line]
    earlier = saved.params.review_inputs if saved is not None else ""
    dated = papers["digest_date"].notna().any()
    params = dataclasses.replace(
        model.params,
        review_period=period if dated else model.params.review_period,
        review_inputs="; ".join(filter(None, [earlier, inputs])),
    )
    model = dataclasses.replace(model, params=params)
    # each paper's cosine to its topic's centre: the representative papers of this update and of recent periods
    similarity = np.einsum(
        "ij,ij->i", unit_rows(vectors), centres[pd.Index(topics["topic"]).get_indexer(papers["topic"])]
    )
    changes = this_update(papers, topics, similarity) if saved is not None else None
    recent = {}
    if trends is not None:
        late = papers["period"].isin(trends.last_periods).to_numpy()
        for topic in trends.table["topic"]:
            recent[topic] = representative_titles(papers, np.flatnonzero(late & (papers["topic"] == topic)), similarity)
    broad_papers = broad_level(papers)
    broad_trends = None if trends is None else topic_trends(broad_papers, unit=trends.unit)
    clock.lap("trends")
    unit = choose_unit(papers, o.group_by)
    if unit == "period" and o.group_by is None:
        log(f"{papers['digest'].nunique()} digests (more than {MAX_GROUPS}): topics compared across periods")
    if papers[unit].nunique() < 2:
        log(f"one {unit} only: every topic is unique to it; comparing topics needs two or more {unit}s")
    overlap = overlap_tables(papers, by=unit)
    broad_overlap = overlap_tables(broad_papers, by=unit)
    clock.lap("overlap")
    if saved is None:  # an update extended the saved map (Update.coords); a fit makes one
        coords = project_2d(unit_rows(vectors), seed=seed)
        clock.lap("map")
    model = dataclasses.replace(model, papers=model.papers.assign(**dict(zip(MAP_COLUMNS, coords.T, strict=True))))
    themes = {} if new_themes is None or adopt else dict(zip(new_themes["new_theme"], new_themes["label"], strict=True))
    figures = build_figures(papers, topics, terms, centres, overlap, coords, trends, broad_trends, themes)
    clock.lap("figures")
    return RunResult(
        papers=papers,
        topics=topics,
        broad=broad,
        terms=terms,
        centres=centres,
        overlap=overlap,
        broad_overlap=broad_overlap,
        trends=trends,
        broad_trends=broad_trends,
        figures=figures,
        params=params,
        model=model,
        unit=unit,
        new_themes=new_themes,
        notes=notes,
        changes=changes,
        recent=recent,
        seed=seed,
        inputs=inputs,
        placed_onto=str(o.model_dir) if saved is not None and o.model_dir else "",
        timings=clock.seconds,  # the run's stopwatch: its later stages (write, static) land here too
    )


def review_period(saved: TopicResult | None, dates: pd.Series, period: str | None) -> tuple[str, str]:
    """The period unit the trends are tested by, and a line for the log and the report when an update changes
    the saved review's: ``period`` None keeps the saved review's (``auto`` for a fit, or for topics saved
    without one); a ``period`` given is used, and said where it differs from the saved one."""
    kept = saved.params.review_period if saved is not None else None
    if period is None and kept:
        return kept, ""
    unit = resolve_period(pd.to_datetime(dates), period or "auto")
    if saved is None or unit == kept:
        return unit, ""
    if kept is None:
        return unit, f"the saved topics keep no period (an earlier version, or undated): trends by {unit} from now on"
    return unit, f"trends by {unit} as --period asks, not by the saved review's {kept}: the review's period from now on"


def periods_and_trends(papers: pd.DataFrame, period: str = "auto", log=print) -> tuple[pd.DataFrame, Trends | None]:
    """Papers with a ``period`` column, and their trends when the dates span at least ``MIN_PERIODS`` periods;
    otherwise ``None``, with one line saying why."""
    unit = resolve_period(pd.to_datetime(papers["digest_date"]), period)
    papers = assign_periods(papers, unit)
    undated = int((papers["period"] == "").sum())
    if undated == len(papers):
        log("trends skipped: no digest has a date (dates come from page date lines, file names or a date column)")
        return papers, None
    trends = topic_trends(papers, unit=unit)  # fewer than MIN_PERIODS periods: nothing is fitted, so this stays cheap
    if len(trends.periods) < MIN_PERIODS:
        n, unit = len(trends.periods), trends.unit
        spanned = f"{n} {unit}" + ("s" if n != 1 else "")
        log(f"trends skipped: the dated digests span {spanned}; a trend needs at least {MIN_PERIODS} {unit}s")
        return papers, None
    if undated:
        log(f"{undated} papers in undated digests are left out of the trends")
    log(trends.summary())
    return papers, trends
