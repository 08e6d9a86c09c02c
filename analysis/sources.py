"""Digest files as text: which format a file is in, decoding it, and what its name says (digest name, date).
Shared by the page and table readers."""

from __future__ import annotations

import datetime as dt
import gzip
import re
from pathlib import Path

import pandas as pd

from analysis.errors import DigestError

__all__ = [
    "DigestWarning",
    "PAGE_SUFFIXES",
    "SUPPORTED_SUFFIXES",
    "TABLE_SUFFIXES",
    "date_from_name",
    "digest_name",
    "format_suffix",
    "normalise_text",
    "read_text",
]

TABLE_SUFFIXES = {".csv", ".tsv", ".jsonl", ".ndjson", ".json", ".parquet", ".pq"}
PAGE_SUFFIXES = {".txt", ".md", ".text"}
SUPPORTED_SUFFIXES = TABLE_SUFFIXES | PAGE_SUFFIXES
_DATE_IN_NAME = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")


class DigestWarning(UserWarning):
    """Something in a digest was skipped; the message names the file and line."""


def normalise_text(text: str) -> str:
    """Collapse every run of whitespace (line breaks included) to one space and strip the ends."""
    return " ".join(str(text).split())


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


def date_from_name(path: Path) -> pd.Timestamp:
    """The date in a file name (``2025-03-17.json``), else NaT."""
    match = _DATE_IN_NAME.search(path.name)
    if match:
        try:
            return pd.Timestamp(dt.date(*map(int, match.groups())))
        except ValueError:
            pass
    return pd.NaT
