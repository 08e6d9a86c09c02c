"""Command line: ``python -m analysis COMMAND ...``, thin wrappers over the package's functions."""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

from analysis.overlap import MAX_GROUPS
from analysis.trends import MAX_AUTO_PERIODS, PERIODS


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m analysis",
        description="Turn digests of paper abstracts (Hugging Face Daily Papers pages, API JSON, CSV, JSONL, "
        "Parquet) into a papers table, topics and figures.",
        epilog="Example: python -m analysis load data/ --out papers.csv",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    load = commands.add_parser(
        "load",
        help="read digests into one papers table",
        description="Read digests (files, or directories of them) into one table with one row per paper per "
        "digest: digest, digest_date, position, paper_id, title, abstract, n_digests, plus extra columns.",
        epilog="Example: python -m analysis load data/ --out papers.csv",
    )
    load.add_argument("paths", nargs="+", metavar="PATH", help="digest file or directory")
    load.add_argument("--out", required=True, metavar="FILE", help="output table, .csv or .parquet")
    load.add_argument("--year", type=int, help="year for page date lines without one (e.g. 'Mar 17')")

    run = commands.add_parser(
        "run",
        help="load, find topics and write tables (the main job)",
        description="Load digests, find themes with BERTopic and write OUT/papers.csv (every load column plus "
        "topic, topic_label, broad_topic, broad_topic_label), OUT/topics.csv, OUT/broad_topics.csv, overlap "
        "tables with q-values, OUT/figures/ (HTML, PNG, SVG), OUT/report.html and the fitted model in OUT/model/.",
        epilog="Examples: python -m analysis run data/ --out out/ ; "
        "python -m analysis run new.txt --model out/model --out out-new/",
    )
    run.add_argument("paths", nargs="+", metavar="PATH", help="digest file or directory")
    run.add_argument("--out", required=True, metavar="DIR", help="output directory")
    run.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    run.add_argument("--embedding-model", metavar="NAME", help="sentence-transformers model name or local path")
    run.add_argument("--n-topics", type=int, metavar="K", help="number of fine topics (default: chosen from the data)")
    run.add_argument(
        "--n-broad", type=int, metavar="K", help="number of broad topics grouping them (default: chosen from the data)"
    )
    run.add_argument("--model", metavar="DIR", help="place papers onto the topics saved in DIR instead of fitting")
    run.add_argument("--year", type=int, help="year for page date lines without one (e.g. 'Mar 17')")
    run.add_argument(
        "--period",
        choices=PERIODS,
        default="auto",
        help="period of the trend statistics (default auto: the finest of day, week, month, quarter that gives "
        f"at most {MAX_AUTO_PERIODS} periods); weeks are ISO weeks",
    )
    run.add_argument(
        "--group-by",
        metavar="COLUMN",
        help="compare topics across the values of this papers column (e.g. period, or a source column of a "
        f"table) instead of digests; default: digests, or periods for more than {MAX_GROUPS} dated digests",
    )
    run.add_argument("--no-static", action="store_true", help="write figures as HTML only (no PNG/SVG)")

    evaluate = commands.add_parser(
        "evaluate",
        help="score topic quality against BERTopic's defaults",
        description="Fit topics and BERTopic's defaults on the same embeddings and print topics, outlier rate, "
        "NPMI coherence, topic diversity, NMI/ARI against a label column, and stability over 5 seeds.",
        epilog="Example: python -m analysis evaluate corpus.jsonl.gz --label-column primary_category",
    )
    evaluate.add_argument("paths", nargs="+", metavar="PATH", help="digest file or directory")
    evaluate.add_argument("--label-column", metavar="COL", help="column with reference labels (for NMI, ARI)")
    evaluate.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    evaluate.add_argument("--embedding-model", metavar="NAME", help="sentence-transformers model name or path")
    return parser


def _cmd_load(args: argparse.Namespace) -> None:
    from analysis._io import write_frame
    from analysis.digests import load_digests

    if Path(args.out).suffix.lower() not in {".csv", ".parquet"}:
        raise ValueError(f"{args.out}: --out must end in .csv or .parquet")
    papers = load_digests(*args.paths, year=args.year)
    write_frame(papers, args.out)
    print(f"wrote {len(papers)} papers from {papers['digest'].nunique()} digests to {args.out}")


def _cmd_run(args: argparse.Namespace) -> None:
    from analysis.pipeline import run

    run(
        args.paths,
        args.out,
        seed=args.seed,
        embedding_model=args.embedding_model,
        n_topics=args.n_topics,
        n_broad=args.n_broad,
        model_dir=args.model,
        year=args.year,
        period=args.period,
        group_by=args.group_by,
        static=not args.no_static,
    )


def _cmd_evaluate(args: argparse.Namespace) -> None:
    from analysis.digests import load_digests
    from analysis.embeddings import Embedder
    from analysis.evaluate import evaluate, format_table

    papers = load_digests(*args.paths)
    table = evaluate(papers, label_column=args.label_column, seed=args.seed, embedder=Embedder(args.embedding_model))
    print(f"{len(papers)} papers, {papers['digest'].nunique()} digests, seed {args.seed}")
    print(format_table(table))


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"warning: {message}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    args = _build_parser().parse_args(argv)
    warnings.showwarning = _show_warning
    try:
        {"load": _cmd_load, "run": _cmd_run, "evaluate": _cmd_evaluate}[args.command](args)
    except (ValueError, OSError) as error:  # DigestError is a ValueError; both carry a one-line message
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
