"""Every rule's text is written from the constants the code uses: each constant's value appears in its text, so a
changed constant cannot leave a text that says otherwise."""

import pytest

from analysis import labels, levels, new_themes, overlap, projection, topics, trends
from analysis.embeddings import PRECISION_TEXT
from analysis.figure_set import caption
from analysis.report import PARAMETERS


def _percent(value: float) -> str:
    return f"{value:.0%}"


RULES = [
    (
        "TREND_RULES",
        trends.TREND_RULES,
        [trends.ALPHA, trends.MIN_SHARE_CHANGE, trends.NEARLY_ABSENT, trends.MIN_PERIODS],
    ),
    ("WATCH_RULES", trends.WATCH_RULES, [trends.WATCH_P, _percent(1 - (1 - trends.WATCH_P) ** 2), trends.MIN_PERIODS]),
    (
        "NEW_THEME_RULES",
        new_themes.NEW_THEME_RULES,
        [new_themes.ALPHA, new_themes.MIN_NEW_PAPERS, f"{new_themes.MIN_RATE_RATIO:g}"],
    ),
    ("CLASS_RULES", overlap.CLASS_RULES, [overlap.ALPHA]),
    (
        "LABEL_RULES",
        labels.LABEL_RULES,
        [
            labels.MAX_WORDS,
            _percent(labels.MIN_SHARE),
            f"{labels.MIN_LIFT:g}",
            _percent(labels.MAX_ELSEWHERE),
            f"{labels.SIBLING_FACTOR:g}",
            labels.SUBJECT_DEPTH,
            labels.SAMPLE,
            _percent(labels.MIXED_SHARE),
        ],
    ),
    ("LEVEL_RULES", levels.LEVEL_RULES, [_percent(levels.SUBSAMPLE), *levels.BROAD_RANGE, levels.PAPERS_PER_TOPIC]),
    ("document map caption", caption("document_map"), [projection.TSNE_FROM, f"{projection.UMAP_FROM:,}"]),
    ("novelty parameter", PARAMETERS["novelty_threshold"][1], [_percent(topics.NOVELTY_QUANTILE)]),
    ("precision parameter", PARAMETERS["precision"][1], [PRECISION_TEXT]),
]


@pytest.mark.parametrize(("name", "text", "values"), RULES, ids=[r[0] for r in RULES])
def test_each_constant_appears_in_its_rule_text(name, text, values):
    missing = [value for value in values if str(value) not in text]
    assert not missing, f"{name} does not say {missing}"


def test_no_two_constants_share_a_name_across_the_rules():
    assert not hasattr(trends, "MIN_RATIO") and not hasattr(new_themes, "MIN_RATIO")
    assert trends.MIN_SHARE_CHANGE != new_themes.MIN_RATE_RATIO  # a share change of 1.25, a rate ratio of 4


def test_a_stage_given_a_frame_without_its_columns_says_which_in_one_line(seed_papers):
    from analysis import fit_topics
    from analysis.errors import InputError
    from analysis.overlap import overlap_tables
    from analysis.trends import assign_periods, topic_trends

    with pytest.raises(
        InputError, match=r"^fitting topics: the papers lack the column\(s\) abstract \(columns found: "
    ):
        fit_topics(seed_papers.drop(columns="abstract"))
    dated = assign_periods(seed_papers.assign(topic=0))
    with pytest.raises(InputError, match=r"^the trend tests: the papers lack the column\(s\) topic_label "):
        topic_trends(dated)
    with pytest.raises(InputError, match=r"^the overlap tables: the papers lack the column\(s\) topic, topic_label "):
        overlap_tables(seed_papers)
