"""New themes: a planted new subject is found, a month without one (or with an old theme that grew) is not,
and a subject below the minimum size is not called. Vectors are drawn around topic directions in 384-d."""

import numpy as np
import pytest

from analysis.new_themes import MIN_NEW_PAPERS, MIN_RATE_RATIO, find_new_themes

DIM, N_OLD_TOPICS, SPREAD = 384, 8, 0.045


def _directions(rng, n):
    directions = rng.normal(size=(n, DIM))
    return directions / np.linalg.norm(directions, axis=1, keepdims=True)


def _papers(rng, centre, n):
    points = centre + rng.normal(scale=SPREAD, size=(n, DIM))
    return points / np.linalg.norm(points, axis=1, keepdims=True)


def _month(seed, *, n_saved=600, n_new=300, planted=0, growing=None):
    """Saved papers from 8 topics; new papers from the same 8 (one of them ``growing`` to 3x its share, if
    given) plus ``planted`` papers of a ninth subject. Returns vectors, is_new and the planted mask."""
    rng = np.random.default_rng(seed)
    centres = _directions(rng, N_OLD_TOPICS + 1)
    saved = np.vstack([_papers(rng, centres[t], n_saved // N_OLD_TOPICS) for t in range(N_OLD_TOPICS)])
    weights = np.ones(N_OLD_TOPICS)
    if growing is not None:
        weights[growing] = 3
    counts = rng.multinomial(n_new - planted, weights / weights.sum())
    new = [_papers(rng, centres[t], c) for t, c in enumerate(counts)] + [_papers(rng, centres[-1], planted)]
    vectors = np.vstack([saved, *new])
    is_new = np.r_[np.zeros(len(saved), bool), np.ones(n_new, bool)]
    subject = np.r_[np.zeros(len(vectors) - planted, bool), np.ones(planted, bool)]
    return vectors, is_new, subject


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_planted_subject_of_a_tenth_of_the_month_is_one_theme_of_its_own_papers(seed):
    vectors, is_new, subject = _month(seed, planted=30)
    found = find_new_themes(vectors, is_new, n_topics=N_OLD_TOPICS, seed=seed)
    assert len(found.table) == 1
    members = found.theme == 0
    assert subject[members].mean() >= 0.9  # purity
    assert (members & subject).sum() / subject.sum() >= 0.9  # coverage
    row = found.table.iloc[0]
    assert row["q_value"] < 0.05 and row["new_papers"] >= MIN_NEW_PAPERS and row["rate_ratio"] >= MIN_RATE_RATIO
    assert row["ratio_low"] <= row["rate_ratio"] <= row["ratio_high"]
    # the coarsest candidates: the saved fine count, scaled from 600 saved papers to all 900
    assert found.candidates["granularity"].min() == round(N_OLD_TOPICS * 900 / 600)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(5))
def test_a_month_without_a_new_subject_reports_none(seed):
    vectors, is_new, _ = _month(seed)
    found = find_new_themes(vectors, is_new, n_topics=N_OLD_TOPICS, seed=seed)
    assert found.table.empty and (found.theme == -1).all()
    assert len(found.candidates) > N_OLD_TOPICS  # several granularities were tested, none called


@pytest.mark.parametrize("seed", range(3))
def test_an_old_theme_that_grew_is_a_trend_not_a_new_theme(seed):
    vectors, is_new, _ = _month(seed, growing=seed % N_OLD_TOPICS)
    found = find_new_themes(vectors, is_new, n_topics=N_OLD_TOPICS, seed=seed)
    assert found.table.empty
    assert (found.candidates["q_value"] < 0.05).any()  # it is enriched in new papers, but not new


def test_a_subject_below_the_minimum_size_is_not_called():
    vectors, is_new, subject = _month(0, planted=MIN_NEW_PAPERS - 4)
    found = find_new_themes(vectors, is_new, n_topics=N_OLD_TOPICS, seed=0)
    assert found.table.empty and (found.candidates["size"] >= MIN_NEW_PAPERS).all()
    # the same subject passes every other part of the test: only the minimum size keeps it out
    lowered = find_new_themes(vectors, is_new, n_topics=N_OLD_TOPICS, seed=0, min_new_papers=MIN_NEW_PAPERS - 4)
    assert len(lowered.table) == 1 and subject[lowered.theme == 0].mean() >= 0.9


def test_same_input_and_seed_same_themes_and_the_inputs_are_left_alone():
    vectors, is_new, _ = _month(3, planted=30)
    before = vectors.copy()
    first = find_new_themes(vectors, is_new, n_topics=N_OLD_TOPICS, seed=3)
    second = find_new_themes(vectors, is_new, n_topics=N_OLD_TOPICS, seed=3)
    assert first.table.equals(second.table) and np.array_equal(first.theme, second.theme)
    assert np.array_equal(vectors, before)


def test_the_clustering_is_blind_to_which_papers_are_new():
    vectors, is_new, _ = _month(4, planted=30)
    found = find_new_themes(vectors, is_new, n_topics=N_OLD_TOPICS, seed=4)
    shuffled = find_new_themes(vectors, np.random.default_rng(0).permutation(is_new), n_topics=N_OLD_TOPICS, seed=4)
    # the same candidate groups whichever papers are new (as many of them): only their counts of new papers differ
    columns = ["granularity", "cluster", "size"]
    assert found.candidates[columns].equals(shuffled.candidates[columns])
    assert not found.candidates["new_papers"].equals(shuffled.candidates["new_papers"])
    assert shuffled.table.empty  # new papers drawn at random from all of them hold no new theme


@pytest.mark.parametrize(("n_saved", "n_new"), [(0, 40), (50, 3), (1, 1)])
def test_tiny_updates_test_nothing(n_saved, n_new):
    rng = np.random.default_rng(0)
    vectors = _papers(rng, _directions(rng, 1)[0], n_saved + n_new)
    is_new = np.r_[np.zeros(n_saved, bool), np.ones(n_new, bool)]
    found = find_new_themes(vectors, is_new, n_topics=3)
    assert found.table.empty and found.candidates.empty and (found.theme == -1).all()


def test_an_update_whose_clusters_are_all_below_the_minimum_tests_nothing():
    rng = np.random.default_rng(0)
    a, b = _directions(rng, 2)
    vectors = np.vstack([_papers(rng, a, 4), _papers(rng, b, 2), _papers(rng, a, 4), _papers(rng, b, 6)])
    is_new = np.r_[np.zeros(6, bool), np.ones(10, bool)]  # 16 papers: two clusters of 8, under 10 each
    found = find_new_themes(vectors, is_new, n_topics=2)
    assert found.table.empty and found.candidates.empty and (found.theme == -1).all()
    assert list(found.candidates.columns)[-3:] == ["q_within", "called", "new_theme"]
