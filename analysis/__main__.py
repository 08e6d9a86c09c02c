"""Command line: ``python -m analysis COMMAND ...``, thin wrappers over the package's functions."""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path


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
    return parser


def _cmd_load(args: argparse.Namespace) -> None:
    from analysis._io import write_frame
    from analysis.digests import load_digests

    if Path(args.out).suffix.lower() not in {".csv", ".parquet"}:
        raise ValueError(f"{args.out}: --out must end in .csv or .parquet")
    papers = load_digests(*args.paths, year=args.year)
    write_frame(papers, args.out)
    print(f"wrote {len(papers)} papers from {papers['digest'].nunique()} digests to {args.out}")


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"warning: {message}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    args = _build_parser().parse_args(argv)
    warnings.showwarning = _show_warning
    try:
        {"load": _cmd_load}[args.command](args)
    except (ValueError, OSError) as error:  # DigestError is a ValueError; both carry a one-line message
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
