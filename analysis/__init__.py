"""digest topics: digests of paper abstracts in, themes and charts of how they overlap out.

The pipeline, one function per stage::

    papers = load_digests("data/")                    # analysis.digests
    result = fit_topics(papers, seed=42)              # analysis.topics (embeds via analysis.embeddings)
    tables = overlap_tables(result.papers)            # analysis.overlap
    trends = topic_trends(assign_periods(result.papers))  # analysis.trends (dated digests)
    figure = topic_sizes(tables.counts)               # analysis.figures

Heavy libraries (torch, BERTopic) load only when a stage that needs them runs. Errors a user can fix derive
from :class:`AnalysisError` (:mod:`analysis.errors`).
"""

from analysis.digests import DigestWarning, load_digests
from analysis.errors import AnalysisError, DigestError, EmbeddingError, ExportError, InputError, NoBrowserError

__version__ = "0.1.0"


def __getattr__(name):  # lazy: `import analysis` stays fast for the loader and the CLI's --help
    if name in {"fit_topics", "relabel_topics", "load_topics", "save_topics", "TopicModel", "TopicResult"}:
        from analysis import topics

        return getattr(topics, name)
    if name == "overlap_tables":
        from analysis.overlap import overlap_tables

        return overlap_tables
    if name in {"assign_periods", "topic_trends"}:
        from analysis import trends

        return getattr(trends, name)
    raise AttributeError(f"module 'analysis' has no attribute {name!r}")


__all__ = [
    "AnalysisError",
    "assign_periods",
    "DigestError",
    "DigestWarning",
    "EmbeddingError",
    "ExportError",
    "fit_topics",
    "InputError",
    "load_digests",
    "load_topics",
    "NoBrowserError",
    "overlap_tables",
    "relabel_topics",
    "save_topics",
    "topic_trends",
    "TopicModel",
    "TopicResult",
]
