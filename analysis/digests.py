"""Load digests of paper abstracts into one tidy *papers frame*.

Each reader (:mod:`analysis.pages` for page text, :mod:`analysis.table_inputs` for tables; both decode files with
:mod:`analysis.sources`) turns one file into rows of ``title``/``abstract`` (plus what the file carries);
``load_digests`` adds the columns every later stage relies on: ``digest``, ``digest_date``, ``position``,
``paper_id`` and ``n_digests``. Every refusal is a :class:`DigestError` naming the file and, where it applies,
the line.

Supported inputs, detected from the file itself:

* **Hugging Face "Daily Papers" page text** (``.txt``, or any file that is not one of the formats below): see
  :func:`parse_page_text`.
* **Daily Papers API JSON** (a list of ``{"paper": {"id", "title", "summary", ...}, ...}``).
* **Tables**: CSV, JSON Lines, JSON records and Parquet with ``title`` and ``abstract`` (or ``summary``)
  columns, matched case-insensitively; optional ``digest``, ``digest_date``/``date`` and
  ``paper_id``/``arxiv_id``/``id`` columns. Every other column is kept.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from analysis.columns import LOAD_COLUMNS
from analysis.errors import DigestError
from analysis.pages import page_papers, parse_page_text
from analysis.sources import (
    SUPPORTED_SUFFIXES,
    TABLE_SUFFIXES,
    DigestWarning,
    digest_name,
    format_suffix,
    normalise_text,
)
from analysis.table_inputs import read_table, table_papers

__all__ = ["DigestError", "DigestWarning", "load_digests", "parse_page_text", "PAPER_COLUMNS"]

PAPER_COLUMNS = LOAD_COLUMNS  # declared in analysis.columns
_ARXIV_ID = re.compile(r"^(?:arxiv:)?(\d{4}\.\d{4,5}|[a-z\-]+(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?$", re.I)
# A run of hex digits this long in a file name is a hash, shortened in the digest name (as git shortens ids).
_HASH_RUN = re.compile(r"[0-9a-f]{12,}", re.I)
_HASH_KEEP = 6


def title_key(title: str) -> str:
    """A stable id for a paper without an arXiv id: a hash of its case- and punctuation-folded title."""
    folded = re.sub(r"[\W_]+", " ", normalise_text(title).casefold()).strip()
    return "title:" + hashlib.sha1(folded.encode("utf-8")).hexdigest()[:16]


def read_digest(path: str | Path, *, year: int | None = None, today: dt.date | None = None) -> pd.DataFrame:
    """Read one digest file into rows with at least ``digest``, ``digest_date``, ``title``, ``abstract``
    (``year`` and ``today``: see :func:`load_digests`)."""
    path = Path(path)
    if not path.exists():
        raise DigestError(path, "no such file or directory")
    if path.stat().st_size == 0:
        raise DigestError(path, "the file is empty")
    suffix = format_suffix(path)
    if suffix in TABLE_SUFFIXES:
        first_line = 1 if suffix in {".jsonl", ".ndjson", ".json", ".parquet", ".pq"} else 2
        raw = read_table(path)
        if raw.empty:
            raise DigestError(path, "no papers found: the table has no rows")
        return table_papers(path, raw, first_line)
    return page_papers(path, year, today)


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files as given, and for a directory every supported file inside it (recursively), in sorted order."""
    files: list[Path] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            inside = sorted(
                p
                for p in path.rglob("*")
                if p.is_file()
                and format_suffix(p) in SUPPORTED_SUFFIXES
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
            if not inside:
                raise DigestError(
                    path,
                    f"no digest files in this directory (looked for {', '.join(sorted(SUPPORTED_SUFFIXES))})",
                )
            files.extend(inside)
        elif path.exists():
            files.append(path)
        else:
            raise DigestError(path, "no such file or directory")
    if not files:
        raise DigestError("<arguments>", "no input paths given")
    return files


def _paper_ids(frame: pd.DataFrame) -> pd.Series:
    """arXiv id (without version) where the input had one, else a hash of the title; one id per title."""
    given = frame["paper_id"] if "paper_id" in frame.columns else pd.Series(None, index=frame.index)
    ids = []
    for value, title in zip(given, frame["title"], strict=True):
        text = "" if value is None or value != value else str(value).strip()
        match = _ARXIV_ID.match(text)
        ids.append(match.group(1) if match else (text or title_key(title)))
    # The same paper seen with an arXiv id in one digest and only by title in another keeps the arXiv id.
    keys = [title_key(title) for title in frame["title"]]
    arxiv_by_key = {}
    for key, paper_id in zip(keys, ids, strict=True):
        if not paper_id.startswith("title:") and _ARXIV_ID.match(paper_id):
            arxiv_by_key.setdefault(key, paper_id)
    ids = [
        arxiv_by_key.get(key, paper_id) if paper_id.startswith("title:") else paper_id
        for key, paper_id in zip(keys, ids, strict=True)
    ]
    return pd.Series(ids, index=frame.index, dtype=object)


def short_name(name: str) -> str:
    """A digest name with each hash-like run of hex digits cut to its first six: ``000_b07f67c0449023ce`` ->
    ``000_b07f67``."""
    return _HASH_RUN.sub(lambda match: match.group(0)[:_HASH_KEEP], name)


def _short_names(digests: Iterable[str]) -> dict[str, str]:
    """Short names for the digests, or none at all where two would collide."""
    digests = list(dict.fromkeys(digests))
    short = {digest: short_name(digest) for digest in digests}
    return short if len(set(short.values())) == len(digests) else {}


def _rename_digests(frame: pd.DataFrame, files: list[Path], names: dict[str, str]) -> None:
    """Give every digest its name in ``frame['digest']``: the one in ``names`` (keyed by a file as given, its file
    name, or its digest name, full or short), else its short name (:func:`short_name`)."""
    short = _short_names(frame["digest"])
    by_key: dict[str, list[str]] = {}
    for path, digests in zip(files, frame.groupby("_file", sort=False)["digest"].unique(), strict=True):
        for key in {str(path.resolve()), path.name, digest_name(path)}:
            by_key.setdefault(key, []).extend(digests)
    for digest in frame["digest"].unique():
        for key in {str(digest), short.get(digest, str(digest))}:
            by_key.setdefault(key, []).append(digest)
    mapping = dict(short)
    for key, name in names.items():
        digests = by_key.get(key) or by_key.get(str(Path(key).resolve()))
        if not digests:
            raise DigestError("--name", f"{key}: no input file or digest has this name")
        mapping.update(dict.fromkeys(digests, name))
    renamed = frame["digest"].map(lambda d: mapping.get(d, d))
    sources = frame.groupby(renamed)["digest"].nunique()
    if (sources > 1).any():
        raise DigestError("--name", f"{sources[sources > 1].index[0]}: two digests would share this name")
    frame["digest"] = renamed


def load_digests(
    *paths: str | Path, year: int | None = None, names: dict[str, str] | None = None, today: dt.date | None = None
) -> pd.DataFrame:
    """Load digests (files or directories) into the papers frame: one row per paper occurrence in a digest.

    Parameters
    ----------
    *paths
        Digest files, or directories whose supported files are read in sorted order.
    year
        Year for page date lines without one (``Mar 17``); by default the year in the file name if any,
        else that of the most recent such day not after ``today``.
    names
        Digest names to show instead of the file names, keyed by a file (as given), its file name, or the
        digest name it would get (e.g. ``{"data/000_b07f67c0449023ce.txt": "Digest A"}``). A digest not named
        here is named after its file, with a hash-like run of hex digits cut to six (``000_b07f67``).
    today
        The date that year-less date lines are read against (default: the system's date), so that a rerun
        next year reads the same pages the same way.

    Returns
    -------
    pandas.DataFrame
        Columns ``digest``, ``digest_date``, ``position`` (1-based, per digest), ``paper_id``, ``title``,
        ``abstract``, ``n_digests`` (in how many digests the paper appears), then any extra input columns.

    Examples
    --------
    >>> papers = load_digests("data/")
    >>> papers.groupby("digest", sort=False).size()
    digest
    000_b07f67    108
    002_b41ed8     78
    dtype: int64
    """
    files = expand_paths(paths)
    frames = [read_digest(path, year=year, today=today).assign(_file=index) for index, path in enumerate(files)]
    frame = pd.concat(frames, ignore_index=True, sort=False)
    _rename_digests(frame, files, names or {})
    frame = frame.drop(columns="_file")
    frame["paper_id"] = _paper_ids(frame)
    frame["position"] = frame.groupby("digest", sort=False).cumcount() + 1
    frame["n_digests"] = frame.groupby("paper_id")["digest"].transform("nunique").astype(int)
    frame["digest_date"] = pd.to_datetime(frame["digest_date"])
    extras = [c for c in frame.columns if c not in PAPER_COLUMNS]
    return frame[PAPER_COLUMNS + extras].reset_index(drop=True)
