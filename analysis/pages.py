"""Hugging Face "Daily Papers" page text: header lines, an optional date line, then titles and abstracts in
any of the layouts people copy them in."""

from __future__ import annotations

import datetime as dt
import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis.errors import DigestError
from analysis.sources import DigestWarning, date_from_name, digest_name, normalise_text, read_text

__all__ = ["page_papers", "parse_page_text"]

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
# An unwrapped abstract line is longer than any sensible wrap width; a title is never this long.
_WRAP_WIDTH = 100
_TITLE_MAX = 300


@dataclass(frozen=True)
class _Paper:
    title: str
    abstract: str
    line: int | None = None


def _is_header(line: str) -> bool:
    return re.sub(r"\s+", "", line).lower() in _HEADER_LINES


def _ends_like_abstract(text: str) -> bool:
    return text.endswith((".", "。")) or len(text) > _TITLE_MAX


def _looks_like_title(text: str) -> bool:
    return len(text) <= _TITLE_MAX and not _ends_like_abstract(text)


def _parse_date_line(line: str, year: int | None, path: Path, lineno: int, today: dt.date | None) -> dt.date | None:
    match = _DATE_LINE.match(line)
    if not match or match["mon"][:3].lower() not in _MONTHS:
        return None
    month, day = _MONTHS.index(match["mon"][:3].lower()) + 1, int(match["day"])
    if match["year"]:
        year = int(match["year"])
    if year is None:
        # No year anywhere: the latest such day that is not in the future (pages are copied after the fact).
        today = today or dt.date.today()
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
    text: str, path: str | Path = "<text>", *, year: int | None = None, today: dt.date | None = None
) -> tuple[list[_Paper], dt.date | None]:
    """Parse the text of a Hugging Face Daily Papers page into papers and the page's date.

    The page starts with optional header lines (``new``, ``Subscribe``, ``Daily Papers``, ``by AK and the
    research community``...) and an optional date line (``Mar 17`` or ``Mar 17, 2024``), then lists titles and
    abstracts. Layouts accepted: a blank line between title and abstract or none; abstracts on one line or
    hard-wrapped over several; or, with no blank line anywhere, title and abstract lines alternating.

    A date line without a year takes ``year``; failing that, the most recent such day not after ``today``
    (default: the system's date).

    Examples
    --------
    >>> papers, date = parse_page_text("Daily Papers\\nMar 17, 2024\\n\\nA Title\\n\\nIts abstract.\\n")
    >>> [(p.title, p.abstract) for p in papers], date
    ([('A Title', 'Its abstract.')], datetime.date(2024, 3, 17))
    >>> parse_page_text("Dec 30\\n\\nA Title\\n\\nIts abstract.\\n", today=dt.date(2026, 1, 5))[1]
    datetime.date(2025, 12, 30)
    """
    path = Path(path)
    lines = [(i, line.strip()) for i, line in enumerate(text.split("\n"), start=1)]
    body_start, date = 0, None
    for index, (lineno, line) in enumerate(lines):
        if not line or _is_header(line):
            continue
        parsed = _parse_date_line(line, year, path, lineno, today) if date is None else None
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


def page_papers(path: Path, year: int | None, today: dt.date | None) -> pd.DataFrame:
    papers, date = parse_page_text(read_text(path), path, year=year or _year_from_name(path), today=today)
    frame = pd.DataFrame({"title": [p.title for p in papers], "abstract": [p.abstract for p in papers]})
    frame.insert(0, "digest", digest_name(path))
    frame["digest_date"] = pd.Timestamp(date) if date else date_from_name(path)
    return frame


def _year_from_name(path: Path) -> int | None:
    date = date_from_name(path)
    return None if pd.isna(date) else date.year
