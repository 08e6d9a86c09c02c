"""Digest tables: CSV, TSV, JSON Lines, JSON records, the Daily Papers API's JSON and Parquet, with their
columns matched to the papers frame's."""

from __future__ import annotations

import io
import json
import warnings
from pathlib import Path

import pandas as pd

from analysis._io import is_missing
from analysis.errors import DigestError
from analysis.sources import DigestWarning, date_from_name, digest_name, format_suffix, normalise_text, read_text

__all__ = ["read_table", "table_papers"]


def _read_json(path: Path, text: str) -> pd.DataFrame:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise DigestError(path, f"invalid JSON ({error.msg})", error.lineno) from None
    if isinstance(data, dict):
        data = data.get("papers", data.get("data", [data]))
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise DigestError(path, "expected a JSON list of papers (objects)")
    if data and all(isinstance(item.get("paper"), dict) for item in data):
        return _from_api_items(path, data)
    return pd.DataFrame.from_records(data)


def _from_api_items(path: Path, items: list[dict]) -> pd.DataFrame:
    """The Daily Papers API: ``{"paper": {"id", "title", "summary", ...}, "title", "publishedAt", ...}``."""
    rows = []
    for item in items:
        paper = item["paper"]
        rows.append(
            {
                "paper_id": paper.get("id"),
                "title": paper.get("title") or item.get("title"),
                "abstract": paper.get("summary") or item.get("summary"),
                "published_at": paper.get("publishedAt") or item.get("publishedAt"),
                "upvotes": paper.get("upvotes"),
                "num_comments": item.get("numComments"),
                "authors": "; ".join(a.get("name", "") for a in paper.get("authors") or []),
                "ai_keywords": "; ".join(map(str, paper.get("ai_keywords") or [])),
                "github_repo": paper.get("githubRepo"),
                "github_stars": paper.get("githubStars"),
            }
        )
    frame = pd.DataFrame(rows)
    if pd.isna(date_from_name(path)):
        days = pd.to_datetime([i["paper"].get("submittedOnDailyAt") for i in items], errors="coerce", utc=True).dropna()
        if len(days):
            frame["digest_date"] = days.tz_localize(None).normalize().value_counts().index[0]
    return frame


def _read_jsonl(path: Path, text: str) -> pd.DataFrame:
    records = []
    for lineno, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise DigestError(path, f"invalid JSON line ({error.msg})", lineno) from None
        if not isinstance(record, dict):
            raise DigestError(path, "expected one JSON object per line", lineno)
        records.append(record)
    return pd.DataFrame.from_records(records)


def read_table(path: Path) -> pd.DataFrame:
    suffix = format_suffix(path)
    if suffix in {".parquet", ".pq"}:
        try:
            return pd.read_parquet(path)
        except (
            OSError,
            ValueError,
        ) as error:  # a broken file: pyarrow's ArrowInvalid and ArrowIOError derive from these
            raise DigestError(path, f"cannot read Parquet ({type(error).__name__}: {error})") from None
    text = read_text(path)
    if suffix in {".jsonl", ".ndjson"}:
        return _read_jsonl(path, text)
    if suffix == ".json":
        return _read_json(path, text)
    try:
        return pd.read_csv(io.StringIO(text), sep="\t" if suffix == ".tsv" else ",", dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise DigestError(path, f"cannot read CSV ({' '.join(str(error).split())})") from None


_ALIASES = {
    "title": ["title"],
    "abstract": ["abstract", "summary"],
    "digest": ["digest"],
    "digest_date": ["digest_date", "date"],
    "paper_id": ["paper_id", "arxiv_id", "id"],
}


def _standardise_columns(path: Path, frame: pd.DataFrame) -> pd.DataFrame:
    lower = {}
    for column in frame.columns:
        lower.setdefault(str(column).strip().lower(), column)
    renames = {}
    for target, aliases in _ALIASES.items():
        if target in frame.columns:  # named exactly so: kept, and a "Title" beside a "title" stays an extra column
            continue
        found = next((lower[a] for a in aliases if a in lower), None)
        if found is not None:
            renames[found] = target
    frame = frame.rename(columns=renames)
    missing = [c for c in ("title", "abstract") if c not in frame.columns]
    if missing:
        found = ", ".join(map(str, frame.columns)) or "none"
        raise DigestError(path, f"no {' or '.join(missing)} column (columns found: {found})")
    return frame


def table_papers(path: Path, frame: pd.DataFrame, first_line: int) -> pd.DataFrame:
    frame = _standardise_columns(path, frame).reset_index(drop=True)
    for column in ("title", "abstract"):
        frame[column] = frame[column].map(lambda v: "" if is_missing(v) else normalise_text(v))
    empty = (frame["title"] == "") | (frame["abstract"] == "")
    for index in frame.index[empty]:
        what = (
            "a paper with no title"
            if frame.at[index, "title"] == ""
            else (f"the paper {frame.at[index, 'title']!r}: it has no abstract")
        )
        warnings.warn(f"{path}:{index + first_line}: skipped {what}", DigestWarning, stacklevel=3)
    frame = frame[~empty]
    if frame.empty:
        raise DigestError(path, "no papers found: every row lacks a title or an abstract")
    if "digest" not in frame.columns:
        frame.insert(0, "digest", digest_name(path))
    frame["digest"] = frame["digest"].astype(str)
    if "digest_date" in frame.columns:
        dates = pd.to_datetime(frame["digest_date"], errors="coerce", utc=True, format="mixed")
        frame["digest_date"] = dates.dt.tz_localize(None)
    else:
        frame["digest_date"] = date_from_name(path)
    return frame
