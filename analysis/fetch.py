"""Hugging Face Daily Papers by date range: one JSON file per day, the API's own list of items.

The endpoint is the one ``huggingface_hub``'s ``HfApi.list_daily_papers`` calls, ``/api/daily_papers?date=DAY
&p=PAGE&limit=N``, on ``$HF_ENDPOINT`` (default ``https://huggingface.co``) as ``huggingface_hub`` reads it, so a
mirror or a test server can stand in. The raw items are kept (not ``PaperInfo`` objects): the loader reads the
file as it reads any API dump, and keeps the extra fields (upvotes, ``ai_keywords``, authors, GitHub stars,
comments) as columns.

* **Paging**: pages ``p = 0, 1, ...`` until one comes back empty; a short page does not end the day (servers may
  return fewer items than ``limit``), and a page of nothing but papers already seen does (a server that ignores
  ``p``).
* **Retries**: HTTP 429 and 5xx, timeouts and dropped connections are retried with exponential backoff,
  honouring ``Retry-After``; after the last try the day fails with one line, and the days already written stay.
* **Resume**: a day is written atomically once all its pages have arrived; days with no papers (weekends) are
  listed in ``.empty_days`` in the output directory. A rerun asks nothing for either, except today (UTC), which
  may still grow.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import os
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from analysis._io import atomic_path
from analysis.errors import AnalysisError, InputError

__all__ = ["DEFAULT_ENDPOINT", "FetchError", "FetchSummary", "check_range", "endpoint", "fetch_daily_papers"]

DEFAULT_ENDPOINT = "https://huggingface.co"
PAGE_LIMIT = 50  # the API's default page size
MAX_PAGES = 200  # a day of 10,000 papers; a server that pages for ever is stopped here
RETRIES = 5
MAX_WAIT = 120.0  # seconds: a longer Retry-After is capped
TIMEOUT = 30.0
EMPTY_DAYS = ".empty_days"
_RETRY_STATUS = {429, 500, 502, 503, 504}


class FetchError(AnalysisError, OSError):
    """A day could not be fetched (the server kept failing, or cannot be reached); the days before it are kept."""


@dataclass
class FetchSummary:
    """What :func:`fetch_daily_papers` did: days written (with their papers), days with none, days skipped
    because an earlier run already had them, and the number of HTTP requests made."""

    written: dict[str, int] = field(default_factory=dict)
    empty: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    requests: int = 0

    def __str__(self) -> str:
        papers = sum(self.written.values())
        parts = [f"fetched {papers} papers in {len(self.written)} day files"]
        if self.empty:
            parts.append(f"{len(self.empty)} days without papers")
        if self.skipped:
            parts.append(f"{len(self.skipped)} days already fetched")
        return "; ".join(parts)


def endpoint() -> str:
    """The Hub's address: ``$HF_ENDPOINT`` (as ``huggingface_hub`` reads it), else :data:`DEFAULT_ENDPOINT`."""
    return (os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")


def _parse_day(text: str, flag: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except (TypeError, ValueError):
        raise InputError(f"{flag} must be a date YYYY-MM-DD, got {text!r}") from None


def check_range(since: str, until: str | None = None, *, today: dt.date | None = None) -> list[dt.date]:
    """The days from ``since`` to ``until`` (default: today, UTC), both included; a bad date, ``since`` after
    ``until`` or a day after today is refused with :class:`InputError` before anything is asked.

    >>> [str(d) for d in check_range("2025-03-14", "2025-03-16", today=dt.date(2025, 6, 1))]
    ['2025-03-14', '2025-03-15', '2025-03-16']
    """
    today = today or dt.datetime.now(dt.UTC).date()
    first = _parse_day(since, "--since")
    last = _parse_day(until, "--until") if until is not None else today
    if first > last:
        raise InputError(f"--since {first} is after --until {last}")
    if last > today:
        raise InputError(f"--until {last} is in the future (today is {today}, UTC); no papers are listed yet")
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())


def _unreachable(reason) -> bool:
    """A refused connection or an unknown host: no network, not worth retrying."""
    return isinstance(reason, ConnectionRefusedError | socket.gaierror)


class _Client:
    def __init__(self, base: str, *, limit: int, retries: int, sleep, timeout: float):
        self.url = f"{base}/api/daily_papers"
        self.limit, self.retries, self.sleep, self.timeout = limit, retries, sleep, timeout
        self.requests = 0

    def page(self, day: dt.date, page: int) -> list[dict]:
        query = urllib.parse.urlencode({"date": day.isoformat(), "p": page, "limit": self.limit})
        url = f"{self.url}?{query}"
        for attempt in range(self.retries + 1):
            self.requests += 1
            wait = min(MAX_WAIT, 2.0**attempt)
            try:
                with urllib.request.urlopen(url, timeout=self.timeout) as response:
                    body = response.read()
                break
            except urllib.error.HTTPError as error:
                if error.code not in _RETRY_STATUS:
                    raise FetchError(f"{day}: {self.url} answered HTTP {error.code} ({error.reason})") from None
                problem = f"HTTP {error.code}"
                wait = min(MAX_WAIT, _retry_after(error.headers.get("Retry-After")) or wait)
            except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
                reason = getattr(error, "reason", error)
                if _unreachable(reason):
                    raise FetchError(f"cannot reach {self.url} ({reason}); is there a network?") from None
                problem = f"{type(reason).__name__}: {reason}"
            if attempt == self.retries:
                raise FetchError(
                    f"{day}: {self.url} failed {self.retries + 1} times (last: {problem}); "
                    "the days before it are kept, rerun to resume"
                )
            self.sleep(wait)
        try:
            items = json.loads(body)
        except ValueError:
            raise FetchError(f"{day}: {self.url} page {page} is not JSON") from None
        if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
            raise FetchError(f"{day}: {self.url} page {page} is not a list of papers")
        return items

    def day(self, day: dt.date) -> list[dict]:
        """Every item listed on ``day``, page after page until an empty one (or one of items already seen)."""
        items: list[dict] = []
        seen: set[str] = set()
        for page in range(MAX_PAGES):
            fresh = [item for item in self.page(day, page) if _key(item) not in seen]
            if not fresh:
                break
            for item in fresh:
                if _key(item) not in seen:
                    seen.add(_key(item))
                    items.append(item)
        return items


def _key(item: dict) -> str:
    """An item's paper id (its title where there is none): what tells a page of new items from a repeat."""
    return str((item.get("paper") or {}).get("id") or item.get("title"))


def _read_empty(directory: Path) -> set[str]:
    path = directory / EMPTY_DAYS
    return set(path.read_text().split()) if path.is_file() else set()


def _write_empty(directory: Path, days: set[str]) -> None:
    with atomic_path(directory / EMPTY_DAYS) as tmp:
        tmp.write_text("".join(f"{day}\n" for day in sorted(days)))


def fetch_daily_papers(
    since: str,
    until: str | None = None,
    out: str | Path = "data",
    *,
    limit: int = PAGE_LIMIT,
    retries: int = RETRIES,
    progress: bool = True,
    today: dt.date | None = None,
    sleep=time.sleep,
    timeout: float = TIMEOUT,
) -> FetchSummary:
    """Download the Daily Papers listed from ``since`` to ``until`` (``YYYY-MM-DD``, both included; default
    today) into ``out/YYYY-MM-DD.json``, one file per day with papers.

    Days already in ``out`` (a file, or a line of ``.empty_days``) are not asked again, except today's. Raises
    :class:`~analysis.errors.InputError` for a bad range (before any request) and :class:`FetchError` when a
    day fails after ``retries`` retries; every day before it is written whole.
    """
    today = today or dt.datetime.now(dt.UTC).date()
    days = check_range(since, until, today=today)
    if limit < 1:
        raise InputError(f"limit must be at least 1, got {limit}")
    directory = Path(out)
    if directory.exists() and not directory.is_dir():
        raise InputError(f"{directory}: --out names an existing file; give a directory for the day files")
    client = _Client(endpoint(), limit=limit, retries=retries, sleep=sleep, timeout=timeout)
    empty = _read_empty(directory)
    summary = FetchSummary()
    from tqdm.auto import tqdm

    try:
        for day in tqdm(days, unit="day", desc="Daily Papers", disable=not progress or len(days) < 2):
            name = day.isoformat()
            target = directory / f"{name}.json"
            if day < today and (target.is_file() or name in empty):
                summary.skipped.append(name)
                continue
            items = client.day(day)
            if items:
                with atomic_path(target) as tmp:
                    tmp.write_text(json.dumps(items, ensure_ascii=False, indent=1), encoding="utf-8")
                summary.written[name] = len(items)
            else:
                summary.empty.append(name)
                if day < today:
                    empty.add(name)
                    _write_empty(directory, empty)
    finally:
        summary.requests = client.requests
    return summary
