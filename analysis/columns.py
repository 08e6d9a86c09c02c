"""The papers frame's columns, by the stage that adds them, declared once: the stages import them from here,
and :func:`require` checks a frame at a stage's door with one clear line.

* the load (:func:`analysis.digests.load_digests`) gives :data:`LOAD_COLUMNS`, then a table's own columns;
* the fit (:mod:`analysis.topics`) adds :data:`TOPIC_COLUMNS`;
* an update (:mod:`analysis.update`) adds :data:`UPDATE_COLUMNS` and keeps :data:`FIRST_REPORT_COLUMNS` with
  the saved papers;
* the run (:mod:`analysis.pipeline`) adds ``period`` and saves :data:`MAP_COLUMNS` with the model's papers.

:data:`RUN_COLUMNS` belong to one run and are left out of a saved model's papers.
"""

from __future__ import annotations

from analysis.errors import InputError

__all__ = [
    "FIRST_REPORT_COLUMNS",
    "LOAD_COLUMNS",
    "MAP_COLUMNS",
    "RUN_COLUMNS",
    "TOPIC_COLUMNS",
    "UPDATE_COLUMNS",
    "require",
]

LOAD_COLUMNS = ["digest", "digest_date", "position", "paper_id", "title", "abstract", "n_digests"]  # then extras

TOPIC_COLUMNS = ["topic", "topic_label", "broad_topic", "broad_topic_label"]
UPDATE_COLUMNS = ["is_new", "topic_similarity", "novel", "new_theme"]
FIRST_REPORT_COLUMNS = ["first_topic"]  # the topic of each paper's first report, kept across updates
# The saved papers' places on the document map: kept with them, so that an update extends the map (reported
# papers do not carry them).
MAP_COLUMNS = ["map_x", "map_y"]
RUN_COLUMNS = ["period", "topic_similarity", "novel", "is_new", "new_theme"]


def require(papers, needed, stage: str) -> None:
    """Raise ``InputError`` naming ``stage`` and the columns of ``needed`` that ``papers`` lacks (one line)."""
    missing = [column for column in needed if column not in papers.columns]
    if missing:
        found = ", ".join(map(str, papers.columns)) or "none"
        raise InputError(f"{stage}: the papers lack the column(s) {', '.join(missing)} (columns found: {found})")
