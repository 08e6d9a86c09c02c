"""Load digests of paper abstracts into one tidy *papers frame*.

Each reader turns one file into rows of ``title``/``abstract`` (plus what the file carries); ``load_digests``
adds the columns every later stage relies on: ``digest``, ``digest_date``, ``position``, ``paper_id`` and
``n_digests``. Every refusal is a :class:`DigestError` naming the file and, where it applies, the line.

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
import gzip
import hashlib
import io
import json
import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

__all__ = ["DigestError", "DigestWarning", "load_digests", "parse_page_text", "PAPER_COLUMNS"]

PAPER_COLUMNS = ["digest", "digest_date", "position", "paper_id", "title", "abstract", "n_digests"]
TABLE_SUFFIXES = {".csv", ".tsv", ".jsonl", ".ndjson", ".json", ".parquet", ".pq"}
PAGE_SUFFIXES = {".txt", ".md", ".text"}
SUPPORTED_SUFFIXES = TABLE_SUFFIXES | PAGE_SUFFIXES

# Page chrome that Hugging Face prints above the list; matched case-insensitively, spaces ignored.
_HEADER_LINES = {
    re.sub(r"\s+", "", line).lower()
    for line in (
        "new",
        "Get trending papers in your email inbox!",
        "Subscribe",
        "Daily Papers",
        "by AK and the research community",
    )
}
_MONTHS = "jan feb mar apr may jun jul aug sep oct nov dec".split()
_DATE_LINE = re.compile(r"^(?P<mon>[A-Za-z]{3})[a-z]*\.?\s+(?P<day>\d{1,2})(?:,?\s+(?P<year>\d{4}))?$")
_DATE_IN_NAME = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
_ARXIV_ID = re.compile(r"^(?:arxiv:)?(\d{4}\.\d{4,5}|[a-z\-]+(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?$", re.I)
# An unwrapped abstract line is longer than any sensible wrap width; a title is never this long.
_WRAP_WIDTH = 100
_TITLE_MAX = 300
# A run of hex digits this long in a file name is a hash, shortened in the digest name (as git shortens ids).
_HASH_RUN = re.compile(r"[0-9a-f]{12,}", re.I)
_HASH_KEEP = 6


class DigestError(ValueError):
    """A digest that cannot be read; ``str()`` is one line naming the file and, where known, the line."""

    def __init__(self, path: str | Path, message: str, line: int | None = None):
        self.path, self.line, self.message = str(path), line, message
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {message}")


class DigestWarning(UserWarning):
    """Something in a digest was skipped; the message names the file and line."""


@dataclass(frozen=True)
class _Paper:
    title: str
    abstract: str
    line: int | None = None


def normalise_text(text: str) -> str:
    """Collapse every run of whitespace (line breaks included) to one space and strip the ends."""
    return " ".join(str(text).split())


def title_key(title: str) -> str:
    """A stable id for a paper without an arXiv id: a hash of its case- and punctuation-folded title."""
    folded = re.sub(r"[\W_]+", " ", normalise_text(title).casefold()).strip()
    return "title:" + hashlib.sha1(folded.encode("utf-8")).hexdigest()[:16]


# --------------------------------------------------------------------------------------------- decoding
def format_suffix(path: Path) -> str:
    """The suffix that names the format, looking through a ``.gz``: ``x.jsonl.gz`` -> ``.jsonl``."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes.pop()
    return suffixes[-1] if suffixes else ""


def digest_name(path: Path) -> str:
    """A file's digest name: its name without the format suffix (and ``.gz``)."""
    name = path.name[:-3] if path.name.lower().endswith(".gz") else path.name
    return Path(name).stem


def read_text(path: Path) -> str:
    """Decode a text file (gunzipped if ``.gz``): UTF-8 with or without BOM, else cp1252, else latin-1."""
    data = path.read_bytes()
    if path.suffix.lower() == ".gz":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as error:
            raise DigestError(path, f"cannot decompress ({error})") from None
    if not data.strip():
        raise DigestError(path, "the file is empty")
    if b"\x00" in data[:8192]:
        raise DigestError(path, "this is a binary file, not a digest (expected page text, JSON, CSV or Parquet)")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for encoding in ("utf-8", "cp1252", "latin-1"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    return text.replace("\r\n", "\n").replace("\r", "\n")


# ----------------------------------------------------------------------------------------------- pages
def _is_header(line: str) -> bool:
    return re.sub(r"\s+", "", line).lower() in _HEADER_LINES


def _ends_like_abstract(text: str) -> bool:
    return text.endswith((".", "。")) or len(text) > _TITLE_MAX


def _looks_like_title(text: str) -> bool:
    return len(text) <= _TITLE_MAX and not _ends_like_abstract(text)


def _parse_date_line(line: str, year: int | None, path: Path, lineno: int) -> dt.date | None:
    match = _DATE_LINE.match(line)
    if not match or match["mon"][:3].lower() not in _MONTHS:
        return None
    month, day = _MONTHS.index(match["mon"][:3].lower()) + 1, int(match["day"])
    if match["year"]:
        year = int(match["year"])
    if year is None:
        # No year anywhere: the latest such day that is not in the future (pages are copied after the fact).
        today = dt.date.today()
        year = today.year if (month, day) <= (today.month, today.day) else today.year - 1
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise DigestError(path, f"'{line}' is not a valid date", lineno) from None


def _paragraphs(lines: list[tuple[int, str]]) -> list[list[tuple[int, str]]]:
    paragraphs: list[list[tuple[int, str]]] = [[]]
    for lineno, line in lines:
        if line:
            paragraphs[-1].append((lineno, line))
        elif paragraphs[-1]:
            paragraphs.append([])
    return [p for p in paragraphs if p]


def _is_compact(paragraph: list[tuple[int, str]]) -> bool:
    """Title and abstract lines alternating with no blank line at all (abstracts not wrapped)."""
    texts = [text for _, text in paragraph]
    return (
        len(texts) >= 4
        and len(texts) % 2 == 0
        and all(_looks_like_title(t) for t in texts[0::2])
        and all(_ends_like_abstract(t) and len(t) > _WRAP_WIDTH for t in texts[1::2])
    )


def _skip(path: Path, lineno: int, what: str) -> None:
    warnings.warn(f"{path}:{lineno}: skipped {what}", DigestWarning, stacklevel=4)


def _pairs_blank_separated(path: Path, paragraphs) -> Iterable[_Paper]:
    """Title paragraph, blank line, abstract paragraph (possibly hard-wrapped), blank line, next title..."""
    pending: tuple[int, str] | None = None
    for paragraph in paragraphs:
        text = normalise_text(" ".join(t for _, t in paragraph))
        lineno = paragraph[0][0]
        if pending is None:
            if len(paragraph) == 1 and _looks_like_title(text):
                pending = (lineno, text)
            else:
                _skip(path, lineno, f"text with no title before it: {text[:60]!r}")
        elif len(paragraph) == 1 and _looks_like_title(text):
            _skip(path, pending[0], f"the title {pending[1]!r}: it has no abstract")
            pending = (lineno, text)
        else:
            yield _Paper(pending[1], text, pending[0])
            pending = None
    if pending is not None:
        _skip(path, pending[0], f"the title {pending[1]!r}: it has no abstract")


def _pairs_adjacent(path: Path, paragraphs) -> Iterable[_Paper]:
    """Title line directly followed by its abstract lines; papers separated by blank lines (or compact)."""
    for paragraph in paragraphs:
        if _is_compact(paragraph):
            for (lineno, title), (_, abstract) in zip(paragraph[0::2], paragraph[1::2], strict=True):
                yield _Paper(normalise_text(title), normalise_text(abstract), lineno)
        elif len(paragraph) == 1:
            _skip(path, paragraph[0][0], f"{paragraph[0][1][:60]!r}: a title or abstract without its pair")
        else:
            abstract = normalise_text(" ".join(t for _, t in paragraph[1:]))
            yield _Paper(normalise_text(paragraph[0][1]), abstract, paragraph[0][0])


def parse_page_text(
    text: str, path: str | Path = "<text>", *, year: int | None = None
) -> tuple[list[_Paper], dt.date | None]:
    """Parse the text of a Hugging Face Daily Papers page into papers and the page's date.

    The page starts with optional header lines (``new``, ``Subscribe``, ``Daily Papers``, ``by AK and the
    research community``...) and an optional date line (``Mar 17`` or ``Mar 17, 2024``), then lists titles and
    abstracts. Layouts accepted: a blank line between title and abstract or none; abstracts on one line or
    hard-wrapped over several; or, with no blank line anywhere, title and abstract lines alternating.

    A date line without a year takes ``year``; failing that, the most recent such day not in the future.

    Examples
    --------
    >>> papers, date = parse_page_text("Daily Papers\\nMar 17, 2024\\n\\nA Title\\n\\nIts abstract.\\n")
    >>> [(p.title, p.abstract) for p in papers], date
    ([('A Title', 'Its abstract.')], datetime.date(2024, 3, 17))
    """
    path = Path(path)
    lines = [(i, line.strip()) for i, line in enumerate(text.split("\n"), start=1)]
    body_start, date = 0, None
    for index, (lineno, line) in enumerate(lines):
        if not line or _is_header(line):
            continue
        parsed = _parse_date_line(line, year, path, lineno) if date is None else None
        if parsed is None:
            body_start = index
            break
        date = parsed
    else:
        raise DigestError(path, "no papers found: the page has only header lines")
    paragraphs = _paragraphs(lines[body_start:])
    multi = sum(len(p) > 1 for p in paragraphs)
    adjacent = multi > len(paragraphs) - multi
    papers = list((_pairs_adjacent if adjacent else _pairs_blank_separated)(path, paragraphs))
    if not papers:
        raise DigestError(path, "no papers found: no title followed by an abstract")
    return papers, date


# ---------------------------------------------------------------------------------------------- tables
def _date_from_name(path: Path) -> pd.Timestamp:
    match = _DATE_IN_NAME.search(path.name)
    if match:
        try:
            return pd.Timestamp(dt.date(*map(int, match.groups())))
        except ValueError:
            pass
    return pd.NaT


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
            }
        )
    frame = pd.DataFrame(rows)
    if pd.isna(_date_from_name(path)):
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


def _read_table(path: Path) -> pd.DataFrame:
    suffix = format_suffix(path)
    if suffix in {".parquet", ".pq"}:
        try:
            return pd.read_parquet(path)
        except Exception as error:  # pyarrow raises several types for broken files
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
        found = next((lower[a] for a in aliases if a in lower), None)
        if found is not None:
            renames[found] = target
    frame = frame.rename(columns=renames)
    missing = [c for c in ("title", "abstract") if c not in frame.columns]
    if missing:
        found = ", ".join(map(str, frame.columns)) or "none"
        raise DigestError(path, f"no {' or '.join(missing)} column (columns found: {found})")
    return frame


def _table_papers(path: Path, frame: pd.DataFrame, first_line: int) -> pd.DataFrame:
    frame = _standardise_columns(path, frame).reset_index(drop=True)
    for column in ("title", "abstract"):
        frame[column] = frame[column].map(lambda v: "" if v is None or v is pd.NA or v != v else normalise_text(v))
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
        frame["digest_date"] = _date_from_name(path)
    return frame


def _page_papers(path: Path, year: int | None) -> pd.DataFrame:
    papers, date = parse_page_text(read_text(path), path, year=year or _year_from_name(path))
    frame = pd.DataFrame({"title": [p.title for p in papers], "abstract": [p.abstract for p in papers]})
    frame.insert(0, "digest", digest_name(path))
    frame["digest_date"] = pd.Timestamp(date) if date else _date_from_name(path)
    return frame


def _year_from_name(path: Path) -> int | None:
    date = _date_from_name(path)
    return None if pd.isna(date) else date.year


def read_digest(path: str | Path, *, year: int | None = None) -> pd.DataFrame:
    """Read one digest file into rows with at least ``digest``, ``digest_date``, ``title``, ``abstract``."""
    path = Path(path)
    if not path.exists():
        raise DigestError(path, "no such file or directory")
    if path.stat().st_size == 0:
        raise DigestError(path, "the file is empty")
    suffix = format_suffix(path)
    if suffix in TABLE_SUFFIXES:
        first_line = 1 if suffix in {".jsonl", ".ndjson", ".json", ".parquet", ".pq"} else 2
        raw = _read_table(path)
        if raw.empty:
            raise DigestError(path, "no papers found: the table has no rows")
        return _table_papers(path, raw, first_line)
    return _page_papers(path, year)


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


def load_digests(*paths: str | Path, year: int | None = None, names: dict[str, str] | None = None) -> pd.DataFrame:
    """Load digests (files or directories) into the papers frame: one row per paper occurrence in a digest.

    Parameters
    ----------
    *paths
        Digest files, or directories whose supported files are read in sorted order.
    year
        Year for page date lines without one (``Mar 17``); by default the year in the file name if any,
        else the most recent such day that is not in the future.
    names
        Digest names to show instead of the file names, keyed by a file (as given), its file name, or the
        digest name it would get (e.g. ``{"data/000_b07f67c0449023ce.txt": "Digest A"}``). A digest not named
        here is named after its file, with a hash-like run of hex digits cut to six (``000_b07f67``).

    Returns
    -------
    pandas.DataFrame
        Columns ``digest``, ``digest_date``, ``position`` (1-based, per digest), ``paper_id``, ``title``,
        ``abstract``, ``n_digests`` (in how many digests the paper appears), then any extra input columns.

    Examples
    --------
    >>> papers = load_digests("data/")  # doctest: +SKIP
    >>> papers.groupby("digest").size()  # doctest: +SKIP
    """
    files = expand_paths(paths)
    frames = [read_digest(path, year=year).assign(_file=index) for index, path in enumerate(files)]
    frame = pd.concat(frames, ignore_index=True, sort=False)
    _rename_digests(frame, files, names or {})
    frame = frame.drop(columns="_file")
    frame["paper_id"] = _paper_ids(frame)
    frame["position"] = frame.groupby("digest", sort=False).cumcount() + 1
    frame["n_digests"] = frame.groupby("paper_id")["digest"].transform("nunique").astype(int)
    frame["digest_date"] = pd.to_datetime(frame["digest_date"])
    extras = [c for c in frame.columns if c not in PAPER_COLUMNS]
    return frame[PAPER_COLUMNS + extras].reset_index(drop=True)
