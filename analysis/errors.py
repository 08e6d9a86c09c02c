"""The errors a user can act on: a digest that cannot be read, an argument out of range, a missing model or
browser. All derive from :class:`AnalysisError`; the command line prints their one-line message and exits
with status 1. Any other exception is a bug, and keeps its traceback.

They also derive from the built-in a caller would expect (``ValueError``, ``OSError``), so ``except
ValueError`` around a library call keeps working.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["AnalysisError", "DigestError", "EmbeddingError", "ExportError", "InputError", "NoBrowserError"]


class AnalysisError(Exception):
    """Base of every error this package raises for something the user can fix; ``str()`` is one line."""


class InputError(AnalysisError, ValueError):
    """An argument, option or column that does not fit the data (e.g. more broad than fine topics)."""


class DigestError(InputError):
    """A digest that cannot be read; ``str()`` names the file and, where known, the line, on one line: text
    quoted from the file (a column name, say) has its line breaks and other control characters escaped.

    >>> print(DigestError("a.csv", "no title column (columns found: x\\ny)"))
    a.csv: no title column (columns found: x\\ny)
    """

    def __init__(self, path: str | Path, message: str, line: int | None = None):
        self.path, self.line, self.message = str(path), line, message
        where = f"{self.path}:{line}" if line is not None else self.path
        text = f"{where}: {message}"
        super().__init__("".join(c if c.isprintable() else repr(c)[1:-1] for c in text))


class EmbeddingError(AnalysisError, ValueError):
    """The embedding model cannot be found, verified, built or loaded."""


class ExportError(AnalysisError, OSError):
    """PNG or SVG files could not be written."""


class NoBrowserError(ExportError):
    """No Chromium or Chrome for PNG and SVG export (HTML is written all the same)."""
