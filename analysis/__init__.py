"""digest topics: digests of paper abstracts in, themes and charts of how they overlap out."""

from analysis.digests import DigestError, DigestWarning, load_digests

__all__ = ["DigestError", "DigestWarning", "load_digests"]
__version__ = "0.1.0"
