"""digest topics: digests of paper abstracts in, themes and charts of how they overlap out.

The pipeline, one function per stage::

    papers = load_digests("data/")                    # analysis.digests
    result = fit_topics(papers, seed=42)              # analysis.topics (embeds via analysis.embeddings)
    tables = overlap_tables(result.papers)            # analysis.overlap
    trends = topic_trends(assign_periods(result.papers))  # analysis.trends (dated digests)
    figure = topic_sizes(tables.counts)               # analysis.figures

Heavy libraries (torch, BERTopic) load only when a stage that needs them runs.
"""

from analysis.digests import DigestError, DigestWarning, load_digests

__version__ = "0.1.0"


def __getattr__(name):  # lazy: `import analysis` stays fast for the loader and the CLI's --help
    if name in {"fit_topics", "relabel_topics", "load_topics", "save_topics"}:
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
    "assign_periods",
    "DigestError",
    "DigestWarning",
    "fit_topics",
    "load_digests",
    "load_topics",
    "overlap_tables",
    "relabel_topics",
    "save_topics",
    "topic_trends",
]
