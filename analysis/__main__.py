"""Command line: ``digest-topics COMMAND ...`` (or ``python -m analysis COMMAND ...``), thin wrappers over the
package's functions. Every argument is checked before any work starts."""

from __future__ import annotations

import argparse
import dataclasses
import errno
import gc
import sys
import warnings
from pathlib import Path

from analysis import __version__
from analysis._io import check_frame_path, plural
from analysis.embeddings import PRECISION_TEXT, PRECISIONS
from analysis.errors import AnalysisError
from analysis.overlap import MAX_GROUPS
from analysis.trends import MAX_AUTO_PERIODS, PERIODS


def _positive(text: str) -> int:
    value = int(text) if text.lstrip("-").isdigit() else None
    if value is None or value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return value


def _name(text: str) -> tuple[str, str]:
    file, sep, name = text.partition("=")
    if not sep or not file or not name.strip():
        raise argparse.ArgumentTypeError(f"expected FILE=NAME (e.g. data/page1.txt='Mar 17'), got {text!r}")
    return file, name.strip()


def _prog() -> str:
    return "digest-topics" if Path(sys.argv[0]).name == "digest-topics" else "python -m analysis"


def _build_parser() -> argparse.ArgumentParser:
    prog = _prog()
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Turn digests of paper abstracts (Hugging Face Daily Papers pages, API JSON, CSV, JSONL, "
        "Parquet) into a papers table, topics at two levels, figures and a report.",
        epilog=f"Example: {prog} run data/ --out out/   (run '{prog} COMMAND --help' for a command's options)",
    )
    parser.add_argument("--version", action="version", version=f"digest-topics {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")

    inputs = argparse.ArgumentParser(add_help=False)
    inputs.add_argument("paths", nargs="+", metavar="PATH", help="digest file or directory")
    inputs.add_argument("--year", type=int, help="year for page date lines without one (e.g. 'Mar 17')")
    inputs.add_argument(
        "--name",
        dest="names",
        type=_name,
        action="append",
        default=[],
        metavar="FILE=NAME",
        help="show digest FILE (a path, file name or digest name) as NAME in tables and figures; repeatable",
    )
    fitting = argparse.ArgumentParser(add_help=False)
    fitting.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    fitting.add_argument("--embedding-model", metavar="NAME", help="sentence-transformers model name or local path")
    fitting.add_argument(
        "--precision",
        choices=PRECISIONS,
        help=f"embedding arithmetic: {PRECISION_TEXT}; "
        "default auto (with --model: the saved topics' own): int8 for the bundled model on CPUs with VNNI or AMX, "
        "else bf16 where the CPU has it, else fp32",
    )

    load = commands.add_parser(
        "load",
        parents=[inputs],
        help="read digests into one papers table",
        description="Read digests (files, or directories of them) into one table with one row per paper per "
        "digest: digest, digest_date, position, paper_id, title, abstract, n_digests, plus extra columns.",
        epilog=f"Example: {prog} load data/ --out papers.csv",
    )
    load.add_argument("--out", required=True, metavar="FILE", help="output table, .csv or .parquet")

    run = commands.add_parser(
        "run",
        parents=[inputs, fitting],
        help="load, find topics and write tables, figures and a report (the main job)",
        description="Load digests, find themes at two levels and write OUT/papers.csv (every load column plus "
        "topic, topic_label, broad_topic, broad_topic_label), OUT/topics.csv, OUT/broad_topics.csv, overlap "
        "and trend tables, OUT/figures/ (HTML, PNG, SVG), OUT/report.html and the fitted model in OUT/model/. "
        "A rerun into the same OUT replaces everything in it.",
        epilog=f"Examples: {prog} run data/ --out out/ ; {prog} run new.txt --model out/model --out out-new/",
    )
    run.add_argument("--out", required=True, metavar="DIR", help="output directory (new, empty or an earlier run's)")
    run.add_argument("--n-topics", type=_positive, metavar="K", help="number of fine topics (default: from the data)")
    run.add_argument(
        "--n-broad", type=_positive, metavar="K", help="number of broad topics grouping them (default: from the data)"
    )
    run.add_argument(
        "--model",
        dest="model_dir",
        metavar="DIR",
        help="update: place the papers onto the topics saved in DIR (an earlier OUT/model) and report over the "
        "papers saved with them plus these, new themes first",
    )
    run.add_argument(
        "--adopt",
        action="store_true",
        help="with --model: make the new themes topics of the model written to OUT/model (their new papers "
        "become theirs), so the next update tracks them",
    )
    run.add_argument(
        "--move-saved",
        action="store_true",
        help="with --adopt: also move the saved papers of each adopted theme into it (rewrites the history of "
        "the topics they leave; the run says how many moved from where)",
    )
    run.add_argument(
        "--period",
        choices=PERIODS,
        help="period of the trend statistics (default: with --model, the saved review's; else auto, the finest "
        f"of day, week, month, quarter that gives at most {MAX_AUTO_PERIODS} periods); weeks are ISO weeks",
    )
    run.add_argument(
        "--group-by",
        metavar="COLUMN",
        help="compare topics across the values of this papers column (e.g. period, or a source column of a "
        f"table) instead of digests; default: digests, or periods for more than {MAX_GROUPS} dated digests",
    )
    run.add_argument("--no-static", dest="static", action="store_false", help="write figures as HTML only (no PNG/SVG)")
    namer = run.add_argument_group("names from a local language model (optional; see the README's prompt)")
    namer.add_argument(
        "--namer",
        metavar="URL",
        help="name the fitted topics through this OpenAI-compatible server (e.g. http://localhost:11434/v1 for "
        "Ollama); answers that are not a short name of the topic's own words are refused and the phrase stays",
    )
    namer.add_argument("--namer-model", metavar="NAME", help="the model the --namer server runs (e.g. llama3.2)")
    dask = run.add_argument_group("on a Dask cluster (pip install 'digest-topics[dask]')")
    dask.add_argument(
        "--scheduler", metavar="ADDRESS", help="embed and place papers on this running Dask scheduler (tcp://host:8786)"
    )
    dask.add_argument("--workers", type=_positive, metavar="N", help="embed and place papers on a local cluster of N")

    evaluate = commands.add_parser(
        "evaluate",
        parents=[inputs, fitting],
        help="score topic quality against BERTopic's defaults",
        description="Fit topics and BERTopic's defaults on the same embeddings and print topics, outlier rate, "
        "NPMI coherence, topic diversity, NMI/ARI against a label column, and stability over 5 seeds.",
        epilog=f"Example: {prog} evaluate corpus.jsonl.gz --label-column primary_category",
    )
    evaluate.add_argument("--label-column", metavar="COL", help="column with reference labels (for NMI, ARI)")

    rename = commands.add_parser(
        "rename",
        help="give a topic of a saved model the name you choose",
        description="Rename a fine topic (or, with --broad, a broad topic) of the topics saved in MODEL_DIR (an "
        "earlier OUT/model). The name is saved in the model, marked label_source=user in topics.csv and "
        "broad_topics.csv and in the report, and kept by every later update (run ... --model MODEL_DIR).",
        epilog=f'Example: {prog} rename out/model 3 "Tool-using LLM agents"',
    )
    rename.add_argument("model_dir", metavar="MODEL_DIR", help="a saved model (OUT/model of an earlier run)")
    rename.add_argument("topic", type=int, metavar="TOPIC", help="the topic's number (the topic column of topics.csv)")
    rename.add_argument("name", metavar="NAME", help="the new name (1 to 80 characters)")
    rename.add_argument("--broad", action="store_true", help="TOPIC is a broad topic (broad_topics.csv)")

    fetch = commands.add_parser(
        "fetch",
        help="download Hugging Face Daily Papers, one JSON file per day",
        description="Download the Daily Papers listed from --since to --until (default today, UTC) into "
        "OUT/YYYY-MM-DD.json, one file per day, page by page, retrying 429 and 5xx answers. Days already in OUT "
        "are not asked again, so a rerun resumes. The endpoint is $HF_ENDPOINT (default https://huggingface.co).",
        epilog=f"Example: {prog} fetch --since 2025-06-01 --until 2025-06-30 --out data/2025-06/",
    )
    fetch.add_argument("--since", required=True, metavar="YYYY-MM-DD", help="first day")
    fetch.add_argument("--until", metavar="YYYY-MM-DD", help="last day (default: today, UTC)")
    fetch.add_argument("--out", required=True, metavar="DIR", help="directory for the day files")
    return parser


def _check(args: argparse.Namespace) -> None:
    """Argument mistakes of ``load`` and ``fetch`` caught before any work (``run`` checks its own: see
    ``pipeline.run``)."""
    if args.command == "fetch":
        from analysis.fetch import check_range

        check_range(args.since, args.until)
    if args.command == "load":
        check_frame_path(args.out)
    if args.command == "rename":
        from analysis.store import check_model_dir
        from analysis.topics import check_label

        check_label(args.name)
        check_model_dir(args.model_dir, flag="MODEL_DIR")


def _cmd_load(args: argparse.Namespace) -> None:
    from analysis._io import write_frame
    from analysis.digests import load_digests

    papers = load_digests(*args.paths, year=args.year, names=dict(args.names))
    write_frame(papers, args.out)
    print(f"wrote {plural(len(papers), 'paper')} from {plural(papers['digest'].nunique(), 'digest')} to {args.out}")


def _cmd_run(args: argparse.Namespace) -> None:
    from analysis.pipeline import RunOptions, run

    options = {field.name: getattr(args, field.name) for field in dataclasses.fields(RunOptions)}
    run(args.paths, args.out, RunOptions(**{**options, "names": dict(args.names)}))


def _cmd_fetch(args: argparse.Namespace) -> None:
    from analysis.fetch import fetch_daily_papers

    print(f"{fetch_daily_papers(args.since, args.until, args.out)} into {args.out}")


def _cmd_rename(args: argparse.Namespace) -> None:
    from analysis.topics import level_table, load_topics, relabel_topics, save_topics

    saved = load_topics(args.model_dir)
    renamed = relabel_topics(saved, {args.topic: args.name}, broad=args.broad)
    save_topics(renamed, args.model_dir)
    before, after = (level_table(r, broad=args.broad) for r in (saved, renamed))
    old, new = (table.loc[table[key] == args.topic, "label"].iloc[0] for table, key in (before, after))
    what = "broad topic" if args.broad else "topic"
    print(f"renamed {what} {args.topic} from {old!r} to {new!r} in {args.model_dir}")


def _cmd_evaluate(args: argparse.Namespace) -> None:
    from analysis.digests import load_digests
    from analysis.embeddings import Embedder
    from analysis.evaluate import evaluate, format_table

    embedder = Embedder(args.embedding_model, precision=args.precision or "auto")
    papers = load_digests(*args.paths, year=args.year, names=dict(args.names))
    table = evaluate(papers, label_column=args.label_column, seed=args.seed, embedder=embedder)
    print(f"{plural(len(papers), 'paper')}, {plural(papers['digest'].nunique(), 'digest')}, seed {args.seed}")
    print(format_table(table))


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"warning: {message}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = _build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning  # restored on leaving: main() can be called as a library
        try:
            _check(args)
            commands = {
                "load": _cmd_load,
                "run": _cmd_run,
                "evaluate": _cmd_evaluate,
                "fetch": _cmd_fetch,
                "rename": _cmd_rename,
            }
            commands[args.command](args)
        except (AnalysisError, OSError) as error:
            if not _users_to_fix(error):
                raise  # a bug: its traceback, as errors.py promises
            print(f"error: {error}", file=sys.stderr)  # a file, an argument, the disk: one line
            return 1
        except KeyboardInterrupt:  # Ctrl-C: one line, no traceback; outputs are written whole or not at all
            print("interrupted: nothing was half-written (fetch resumes from the days it wrote)", file=sys.stderr)
            return 130
    return 0


# A full, read-only or over-quota disk: what the user can fix, though the error names no file
_DISK_ERRNOS = {errno.ENOSPC, errno.EROFS, errno.EDQUOT}


def _users_to_fix(error: Exception) -> bool:
    """Whether ``error`` is the user's to fix: one of ours, or an OSError about a named file or about the disk.
    Any other OSError (a socket's, one raised without an errno) is a bug and keeps its traceback."""
    if isinstance(error, AnalysisError):
        return True
    return error.filename is not None or error.errno in _DISK_ERRNOS


def finish() -> None:
    """Ready the process to end once its work is done: output flushed, and every object left out of the garbage
    collector's passes at exit (``gc.freeze``), which took 1.3 s after the embedding model's libraries had been
    imported, to free memory the process gives back anyway. For a process that ends next, never a library call."""
    sys.stdout.flush()
    sys.stderr.flush()
    gc.freeze()


def entry() -> int:
    """The process's entry point (``digest-topics``, ``python -m analysis``): :func:`main`, then :func:`finish`."""
    status = main()
    finish()
    return status


if __name__ == "__main__":
    sys.exit(entry())
