"""The terms of topics (analysis.terms): hyphenated words counted whole, c-TF-IDF terms of any grouping in the
fitted vocabulary, and the representative titles of a topic."""

import re

import numpy as np
import pandas as pd

from analysis import terms


def test_the_token_pattern_keeps_hyphenated_words_whole():
    assert re.findall(terms.TOKEN_PATTERN, "In-context learning, self-play and a 3D-aware x-y KV cache.") == [
        "In-context", "learning", "self-play", "and", "3D-aware", "x-y", "KV", "cache"
    ]  # fmt: skip


def test_representative_titles_are_distinct_papers_closest_first():
    papers = pd.DataFrame({"paper_id": ["a", "b", "a", "c", "d"], "title": ["A", "B", "A again", "C", "D"]})
    similarity = np.array([0.9, 0.5, 0.95, 0.7, 0.1])
    # "a" is listed twice (two digests): once, under its closest row's title; "d" is fourth and left out
    assert terms.representative_titles(papers, np.arange(5), similarity) == "A again | C | B"
    assert terms.representative_titles(papers, np.array([1, 4]), similarity) == "B | D"


def test_level_terms_do_not_depend_on_how_many_papers_are_counted_at_once(seed_result, seed_papers, monkeypatch):
    texts = (seed_papers["title"] + ". " + seed_papers["abstract"]).tolist()
    broad = seed_result.papers["broad_topic"].to_numpy()
    whole = terms.group_terms(seed_result.model, texts, broad, 30)
    monkeypatch.setattr(terms, "TERM_CHUNK", 7)
    assert terms.group_terms(seed_result.model, texts, broad, 30) == whole
    assert [t for t, _ in whole[0][:10]] == seed_result.broad["top_terms"].iat[0].split("; ")
