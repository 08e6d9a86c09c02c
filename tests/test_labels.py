import re

import numpy as np
import pandas as pd
import pytest

from analysis.labels import (
    STOP_WORDS,
    _same_name,
    count_phrases,
    name_levels,
    name_pairs,
    names_a_subject,
    phrase_labels,
    shares_no_subject,
    with_keywords,
)
from analysis.noun_phrases import is_noun_phrase, noun_phrases


def test_seed_labels_read_like_phrases(seed_result):
    for table in (seed_result.topics, seed_result.broad):
        labels = table["label"].tolist()
        assert len(set(labels)) == len(labels)
        for label in labels:
            words = label.lower().split()
            # a phrase of up to six words, or one word that names a subject (an acronym or a compound)
            assert len(words) <= 6 and (len(words) >= 2 or names_a_subject(label)), label
            assert words[0] not in STOP_WORDS and words[-1] not in STOP_WORDS, label
            assert "_" not in label


@pytest.mark.parametrize("label", ["KV cache", "In-context learning", "Scaling laws"])
def test_seed_topics_include_themes_a_reader_expects(seed_result, label):
    assert label in seed_result.topics["label"].tolist()


def test_broad_labels_cover_their_fine_topics(seed_result):
    broad, topics, papers = seed_result.broad, seed_result.topics, seed_result.papers
    assert broad["label"].is_unique
    for _, row in broad[broad["n_topics"] > 1].iterrows():
        # the label's words occur in the papers of at least half of the broad topic's fine topics
        words = [w for w in row["label"].lower().replace("-", " ").split() if w != "and"]
        children = topics.loc[topics["broad_topic"] == row["broad_topic"], "topic"]
        texts = [" ".join(papers.loc[papers["topic"] == t, "abstract"]).lower() for t in children]
        assert sum(all(w in text for w in words) for text in texts) >= len(texts) / 2, row["label"]


def test_hyphenated_words_stay_whole_in_terms(seed_result, seed_papers):
    broad = "; ".join(seed_result.broad["top_terms"])  # counted per paper, cleaned as BERTopic cleaned the fit's
    assert "in-context" in broad and "in-context learning" in broad and "incontext" not in broad
    terms = "; ".join(seed_result.topics["top_terms"]) + "; " + broad
    assert "in-context" in terms and "incontext" not in terms
    assert "exemplar-free" in terms and "vision-language" in terms and "zero-shot" in terms
    # every word of every term is a word of the papers as written: nothing glued from a stripped hyphen
    text = " ".join(seed_papers["title"] + " " + seed_papers["abstract"]).lower()
    words = set(re.findall(r"[\w-]+", text))
    glued = {w for term in terms.split("; ") for w in term.split() if w not in words}
    assert not glued


# ------------------------------------------------------------------ phrase labels (planted, no fit needed)
_FILLER = (
    "we study efficient methods for training large models on public benchmark data and report strong results "
    "across several settings with careful ablations of each design choice in our experiments"
).split()


def _texts(phrases_by_group: list[list[str]], seed: int = 0) -> tuple[list[str], np.ndarray]:
    """One text per phrase list entry: shuffled filler words that every group shares, around its phrases (a
    sentence of their own, so that no filler word continues them)."""
    rng = np.random.default_rng(seed)
    texts, groups = [], []
    for group, phrases in enumerate(phrases_by_group):
        for phrase in phrases:
            words = list(rng.permutation(_FILLER)[:14])
            cut = int(rng.integers(2, 10))
            texts.append(" ".join(words[:cut]) + (f". {phrase}. " if phrase else " ") + " ".join(words[cut:]) + ".")
            groups.append(group)
    return texts, np.array(groups)


def test_a_planted_topic_is_named_by_the_phrase_its_papers_share():
    texts, groups = _texts(
        [
            ["Sparse attention"] * 12 + [""] * 8,
            ["LLM agents"] * 10 + [""] * 10,
            ["3D Gaussian splatting"] * 14 + [""] * 6,
        ]
    )
    names = phrase_labels(texts, groups, np.ones(len(texts)))
    assert names.labels == ["Sparse attention", "LLM agents", "3D Gaussian splatting"]
    assert names.coverage.tolist() == [0.6, 0.5, 0.7] and not names.mixed.any()


def test_a_broad_topic_is_named_by_the_phrase_its_fine_topics_share():
    texts, fine = _texts(
        [
            ["LLM agents for coding agents"] * 8 + ["coding agents"] * 6 + [""] * 6,
            ["LLM agents with agent memory"] * 8 + ["agent memory"] * 6 + [""] * 6,
            ["protein folding"] * 14 + [""] * 6,
        ]
    )
    broad = np.array([0, 0, 1])[fine]
    assert phrase_labels(texts, fine, np.ones(len(texts))).labels == [
        "Coding agents",
        "Agent memory",
        "Protein folding",
    ]
    assert phrase_labels(texts, broad, np.ones(len(texts)), parents=fine).labels[0] == "LLM agents"
    # a phrase of one fine topic only does not name the broad one, however specific
    texts, fine = _texts(
        [["coding agents"] * 14 + [""] * 6, ["agent memory"] * 4 + [""] * 16, ["protein folding"] * 20]
    )
    assert (
        phrase_labels(texts, np.array([0, 0, 1])[fine], np.ones(len(texts)), parents=fine).labels[0] != "Coding agents"
    )


def test_a_topic_whose_papers_share_no_phrase_is_flagged_mixed():
    rng = np.random.default_rng(1)
    vocabulary = [
        f"{a}{b}{c}" for a in ("zor", "mip", "kal", "dun", "vex") for b in "aeiou" for c in ("ta", "ne", "ro")
    ]
    scattered = [
        " ".join([*rng.choice(vocabulary, 2, replace=False), *rng.permutation(_FILLER)[:12]]) for _ in range(40)
    ]
    texts, groups = _texts([["Sparse attention"] * 12 + [""] * 8])
    names = phrase_labels(texts + scattered, np.concatenate([groups, np.ones(40, int)]), np.ones(len(texts) + 40))
    assert names.labels[0] == "Sparse attention" and names.mixed.tolist() == [False, True]
    assert names.coverage[1] < 0.1


def test_an_acronym_stays_one_only_where_the_papers_mostly_write_it_so():
    texts, groups = _texts(
        [
            ["RLVR"] * 10 + ["reinforcement learning with verifiable rewards (RLVR)"] * 3 + [""] * 7,
            ["in-context learning (ICL)"] * 12 + [""] * 8,
            ["protein folding"] * 20,
        ]
    )
    assert phrase_labels(texts, groups, np.ones(len(texts))).labels[:2] == ["RLVR", "In-context learning"]


def test_the_inputs_keywords_are_label_candidates_when_present_and_ignored_when_absent():
    texts, groups = _texts([["robot arms"] * 3 + [""] * 17, ["protein folding"] * 20])
    papers = pd.DataFrame({"keywords": ["embodied intelligence; robot learning"] * 14 + [""] * 6 + ["biology"] * 20})
    with_words = with_keywords(texts, papers)
    assert phrase_labels(with_words, groups, np.ones(len(texts))).labels[0] == "Embodied intelligence"
    assert "embodied" not in phrase_labels(texts, groups, np.ones(len(texts))).labels[0].lower()
    assert with_keywords(texts, papers.rename(columns={"keywords": "tags"})) == texts
    # a list per paper (JSON, Parquet) reads as the ";"-joined text does
    listed = papers.assign(keywords=[[w.strip() for w in k.split(";") if w.strip()] for k in papers["keywords"]])
    assert with_keywords(texts, listed) == with_words


def _labels(phrases_by_group: list[list[str]]) -> list[str]:
    texts, groups = _texts(phrases_by_group)
    return phrase_labels(texts, groups, np.ones(len(texts))).labels


def test_a_label_is_written_as_running_text_writes_it_not_as_titles_do():
    other = ["protein folding"] * 20
    assert _labels([["the KV cache"] * 10 + [""] * 10, other])[0] == "KV cache"
    prefixes = ("we probe", "new", "open", "small", "many", "robust", "fast", "tiny")
    titled = ["Vision-Language Models (VLMs) see"] * 4 + [f"{w} vision-language models" for w in prefixes]
    assert _labels([titled + [""] * 8, other])[0] == "Vision-language models"
    assert _labels([["LoRA adapters"] * 10 + [""] * 10, other])[0] == "LoRA adapters"
    assert _labels([["Monte Carlo tree search"] * 10 + [""] * 10, other])[0] == "Monte Carlo tree search"


def test_no_phrase_runs_across_punctuation_and_none_is_a_verb_phrase():
    texts, _ = _texts([["We scale models. Data quality is key"] * 10])
    keys = count_phrases(texts, np.arange(len(texts))).keys
    assert "model" in keys and "data quality" in keys and not any("model data" in key for key in keys)
    assert "scale model" not in keys  # "we scale models": a verb and its object


def test_a_phrase_the_papers_nearly_always_continue_is_completed():
    group = ["large language models reason"] * 8 + ["large language model agents"] * 2 + [""] * 10
    assert _labels([group, ["protein folding"] * 20])[0] == "Large language models"


def test_labels_are_unique_within_a_level():
    shared = ["graph neural networks"] * 12 + [""] * 8
    labels = _labels([shared, shared, [""] * 20, [""] * 20, [""] * 20])
    assert labels[0] == "Graph neural networks" and len(set(labels)) == 5


def test_an_acronym_of_another_topics_label_is_not_a_second_name_for_it():
    labels = _labels(
        [
            ["vision-language models"] * 14 + [""] * 6,
            ["VLMs"] * 10 + ["spatial reasoning"] * 6 + [""] * 4,
            ["protein folding"] * 20,
        ]
    )
    assert labels == ["Vision-language models", "Spatial reasoning", "Protein folding"]
    assert _same_name("MLLMs", "multimodal large language models") and _same_name("LLM-agents", "LLM agent")
    assert not _same_name("Reinforcement learning", "Representation learning") and not _same_name("RL", "RAG")


def test_a_broad_topic_of_two_fine_topics_that_share_no_subject_is_named_after_both():
    texts, fine = _texts(
        [["video generation"] * 16 + [""] * 8, ["3D scenes"] * 14 + [""] * 6, ["protein folding"] * 20]
    )
    broad = np.array([0, 0, 1])
    fine_names = phrase_labels(texts, fine, np.ones(len(texts)))
    broad_names = phrase_labels(texts, broad[fine], np.ones(len(texts)), parents=fine)
    assert fine_names.labels == ["Video generation", "3D scenes", "Protein folding"]
    assert not names_a_subject(broad_names.labels[0]) or broad_names.mixed[0]  # what the rule replaces
    assert shares_no_subject(broad_names, 0)
    name_pairs(broad_names, fine_names, broad, np.bincount(fine), [0])
    assert broad_names.labels[0] == "Video generation and 3D scenes" and not broad_names.mixed[0]
    assert broad_names.coverage[0] == round((16 / 24 * 24 + 14 / 20 * 20) / 44, 3)
    # a pair with a shared subject keeps its phrase
    texts, fine = _texts([["LLM agents for coding"] * 14 + [""] * 6, ["LLM agents with memory"] * 14 + [""] * 6])
    texts, fine = texts + _texts([["protein folding"] * 20])[0], np.concatenate([fine, np.full(20, 2)])
    fine_names = phrase_labels(texts, fine, np.ones(len(texts)))
    broad_names = phrase_labels(texts, broad[fine], np.ones(len(texts)), parents=fine)
    assert not shares_no_subject(broad_names, 0) and broad_names.labels[0] == "LLM agents"


def test_a_measure_or_a_property_is_not_a_topics_name():
    other = ["protein folding"] * 20
    assert _labels([["attack success rates"] * 10 + ["jailbreak attacks"] * 8 + [""] * 2, other])[0] == (
        "Jailbreak attacks"
    )
    reasoning = ["reasoning capabilities"] * 10 + ["chain-of-thought prompting"] * 8 + [""] * 2
    assert _labels([reasoning, other])[0] == "Chain-of-thought prompting"
    # a phrase that merely holds such a word is named as usual
    assert _labels([["learning rate schedules"] * 12 + [""] * 8, other])[0] == "Learning rate schedules"


def test_a_phrase_is_completed_to_the_longer_one_the_papers_abbreviate():
    others = [["protein folding"] * 20, ["graph neural networks"] * 20, ["speech recognition"] * 20]
    named = ["large reasoning models (LRMs)"] * 11 + ["reasoning models"] * 8 + [""]
    assert _labels([named, *others])[0] == "Large reasoning models"
    # the same counts without the acronym: the longer phrase is not the field's name, and is not used often enough
    unnamed = ["large reasoning models"] * 11 + ["reasoning models"] * 8 + [""]
    assert _labels([unnamed, *others])[0] == "Reasoning models"


def test_a_fine_topic_whose_best_phrases_are_single_words_is_named_after_a_phrase_further_down():
    words = (
        "attacks defense safety toxicity risks harms vulnerabilities backdoors security jailbreaks threats "
        "privacy guardrails exploits poisoning"
    ).split()
    rng = np.random.default_rng(3)
    texts = [", ".join(rng.permutation(words)[:11]) + ". " + " ".join(rng.permutation(_FILLER)[:10]) for _ in range(20)]
    texts = [text + (". jailbreak attacks" if i < 5 else "") for i, text in enumerate(texts)]
    others, groups = _texts([["protein folding"] * 20, ["speech recognition"] * 20])
    texts, groups = texts + others, np.concatenate([np.zeros(20, int), groups + 1])
    fine = phrase_labels(texts, groups, np.ones(len(texts)))
    assert fine.labels[0] == "Jailbreak attacks" and fine.coverage[0] == 0.25
    # a broad topic is not: there, a group with no shared subject is named after its fine topics or flagged mixed
    broad = phrase_labels(texts, groups, np.ones(len(texts)), parents=np.zeros(len(texts), int))
    assert not names_a_subject(broad.labels[0])


def test_research_boilerplate_and_a_research_verb_do_not_name_a_topic():
    other = ["protein folding"] * 20
    boilerplate = ["project page"] * 12 + ["future research"] * 11 + ["video diffusion models"] * 7
    assert _labels([boilerplate, other])[0] == "Video diffusion models"
    evaluating = ["leveraging retrieval"] * 12 + ["advancements in retrieval"] * 11 + ["LLM-as-a-judge"] * 7
    assert _labels([evaluating, other])[0] == "LLM-as-a-judge"


def test_a_plural_in_ies_counts_as_its_singular():
    other = ["protein folding"] * 20
    texts, groups = _texts([["agent strategies"] * 7 + ["agent strategy"] * 5 + ["tool calling"] * 8, other])
    names = phrase_labels(texts, groups, np.ones(len(texts)))
    assert names.labels[0] == "Agent strategies" and names.coverage[0] == 0.6
    assert _same_name("Reasoning capabilities", "reasoning capability")


# ------------------------------------------------------------------ noun phrases (issue 39)
@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("Provide evidence", False),  # a verb phrase
        ("Model trained", False),  # a noun and the participle after it
        ("Lower memory", False),  # a comparative
        ("Multimodal", False),  # a lone adjective
        ("Dataset that supports", False),
        ("In-context learning", True),  # a gerund as the head
        ("3D Gaussian splatting", True),
        ("KV cache", True),
        ("LLM agents", True),
        ("Mixture of experts", True),
        ("Chain-of-thought", True),
        ("LLM-as-a-judge", True),
        ("Text-to-image", False),  # a modifier without its noun
        ("Video generation and 3D scenes", True),
    ],
)
def test_a_label_read_on_its_own_is_a_noun_phrase_or_not(label, expected):
    assert is_noun_phrase(label) is expected


def test_noun_phrases_end_at_their_head():
    text = "We study in-context learning of large language models. The model trained on data fails."
    assert noun_phrases(text) == [
        "learning", "in-context learning", "models", "language models", "large language models", "model", "data",
    ]  # fmt: skip
    # "study" after "We" is a verb; "large language" is no phrase; "model trained" none either


def test_a_verb_phrase_or_a_noun_and_its_participle_never_names_a_topic():
    other = ["protein folding"] * 20
    verbs = ["provide evidence that"] * 12 + ["model trained on"] * 12 + ["lower memory use"] * 10 + ["theory"] * 6
    label = _labels([verbs, other])[0]
    assert label not in ("Provide evidence", "Model trained", "Lower memory") and is_noun_phrase(label), label


def test_a_metric_acronym_is_a_measure_and_a_titles_capitals_are_undone():
    other = ["protein folding"] * 20
    assert _labels([["FID"] * 16 + ["image editing"] * 8, other])[0] == "Image editing"  # a metric the field names
    # an acronym of a measure the papers spell out: its spelled-out head is a property word
    abc = ["ABC"] * 12 + ["average boundary cost (ABC)"] * 4 + ["image editing"] * 8
    assert _labels([abc, other])[0] == "Image editing"
    titled = ["Direct Preference Optimization (DPO)"] * 12 + [""] * 8
    assert _labels([titled, other])[0] == "Direct preference optimization"


def test_seed_labels_are_noun_phrases_and_fine_labels_differ_from_their_parents(seed_result):
    topics, broad = seed_result.topics, seed_result.broad
    assert all(map(is_noun_phrase, [*topics["label"], *broad["label"]]))
    for row in topics.itertuples():
        only_child = int(broad.loc[broad["broad_topic"] == row.broad_topic, "n_topics"].iloc[0]) == 1
        assert only_child or row.label.casefold() != row.broad_topic_label.casefold(), row.label


def _levels(phrases_by_fine: list[list[str]], broad_of_fine: list[int]):
    texts, fine = _texts(phrases_by_fine)
    ones = np.ones(len(texts))
    return name_levels(texts, fine, np.array(broad_of_fine), ones, ones)


def test_a_broad_topic_is_never_named_by_a_phrase_of_one_child_alone():
    fine, broad = _levels(
        [
            ["MoE scaling laws"] * 10 + ["scaling laws"] * 8 + [""] * 2,  # MoE: half of this child's papers...
            ["MoE"] * 2 + ["compressed models"] * 14 + [""] * 14,  # ...and a fifteenth of the other's
            ["protein folding"] * 20,
            ["speech recognition"] * 20,
        ],
        [0, 0, 1, 2],
    )
    assert broad.labels[0] == "Compressed models and scaling laws", broad.labels  # the larger child first
    assert fine.labels[:2] == ["Scaling laws", "Compressed models"]


def test_a_fine_label_differs_from_its_parents_and_siblings():
    fine, broad = _levels(
        [
            ["LLM agents for coding agents"] * 12 + ["coding agents"] * 2 + [""] * 6,
            ["LLM agents with agent memory"] * 12 + ["agent memory"] * 2 + [""] * 6,
            ["LLM agents"] * 14 + [""] * 6,
            ["protein folding"] * 20,
        ],
        [0, 0, 0, 1],
    )
    assert broad.labels[0] == "LLM agents"
    assert "LLM agents" not in fine.labels[:3] and len(set(fine.labels)) == 4
    assert broad.labels[1] == fine.labels[3] == "Protein folding"  # an only child keeps its parent's name
