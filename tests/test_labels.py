import re

import numpy as np
import pandas as pd
import pytest

from analysis.labels import STOP_WORDS, _names_a_subject, make_label, phrase_labels, unique_labels, with_keywords


def test_phrase_in_its_written_form():
    texts = ["We compress the KV cache of LLMs.", "KV cache eviction."]
    assert make_label(["cache", "kv cache", "eviction"], texts) == "KV cache"


def test_punctuation_stripped_terms_find_their_hyphenated_form():
    assert make_label(["icl", "incontext learning"], ["In-context learning (ICL) works."]) == "In-context learning"


def test_phrase_glued_across_stop_words_is_not_a_label():
    # "models data" only exists as an n-gram once "of" is dropped; it is never written so.
    texts = ["Scaling models of data quality.", "Data quality matters."]
    assert make_label(["models data", "data quality"], texts) == "Data quality"


def test_two_words_when_no_phrase_ranks_high():
    texts = ["Medical imaging and biomedical text.", "A clinical language model."]
    terms = ["medical", "biomedical", "clinical", "data", "text", "imaging", "language model"]
    assert make_label(terms, texts) == "Medical and biomedical"


def test_labels_are_unique():
    texts = [["Graph neural networks."], ["Graph neural networks again."]]
    labels = unique_labels([["graph neural", "networks graph"], ["graph neural", "graphs"]], texts)
    assert labels[0] == "Graph neural networks" and labels[1] != labels[0]


def test_a_phrase_cut_off_from_a_longer_one_is_completed():
    texts = ["Large language models reason.", "We tune large language models.", "Large language model agents."]
    assert make_label(["large language", "reason"], texts) == "Large language models"
    # a phrase the papers continue in many ways is a whole phrase already
    texts = ["KV cache eviction.", "KV cache quantization.", "The KV cache grows.", "KV cache offloading."]
    assert make_label(["kv cache", "cache"], texts) == "KV cache"


def test_a_lower_phrase_holding_a_leading_word_beats_two_words():
    texts = ["Scaling laws for vocabulary size.", "Optimal scaling of hyperparameters.", "New scaling laws."]
    terms = ["scaling", "optimal", "size", "vocabulary", "parameters", "laws", "datastore", "scaling laws"]
    assert make_label(terms, texts) == "Scaling laws"
    # the same phrase below the top ten terms does not
    assert make_label(terms[:-1] + ["growth", "budget", "compute", "scaling laws"], texts) == "Scaling and optimal"


def test_two_words_written_together_become_their_phrase():
    texts = ["End-to-end autonomous driving.", "Planning for autonomous driving.", "Driving scenes, autonomous cars."]
    assert make_label(["autonomous", "driving", "planning"], texts) == "Autonomous driving"
    # written together in one paper only: two words
    texts = ["Autonomous driving.", "Driving scenes.", "Autonomous cars.", "Driving and autonomy."]
    assert make_label(["autonomous", "driving", "planning"], texts) == "Autonomous and driving"


def test_seed_labels_read_like_phrases(seed_result):
    for table in (seed_result.topics, seed_result.broad):
        labels = table["label"].tolist()
        assert len(set(labels)) == len(labels)
        for label in labels:
            words = label.lower().split()
            # a phrase of up to six words, or one word that names a subject (an acronym or a compound)
            assert len(words) <= 6 and (len(words) >= 2 or _names_a_subject(label)), label
            assert words[0] not in STOP_WORDS and words[-1] not in STOP_WORDS, label
            assert "_" not in label


@pytest.mark.parametrize("label", ["LLM inference", "In-context learning", "Scaling laws"])
def test_seed_topics_include_themes_a_reader_expects(seed_result, label):
    assert label in seed_result.topics["label"].tolist()


def test_two_words_are_two_different_words():
    texts = ["An agent and other agents plan with tools."]
    assert make_label(["agent", "agents", "tools", "plan"], texts) == "Agent and tools"
    texts = ["A robot with robotic arms grasps meshes.", "Each mesh is a grasp target."]
    assert make_label(["robot", "robotic", "grasp"], texts) == "Robot and grasp"
    assert make_label(["mesh", "meshes", "robotic"], texts) == "Mesh and robotic"
    assert make_label(["agent", "multi-agent", "tools"], ["An agent in multi-agent tools."]) == "Agent and tools"


def test_acronyms_keep_their_case():
    texts = ["Routing tokens in a MoE layer.", "Sparse MoE and routing of experts.", "Routing with LoRA adapters."]
    assert make_label(["routing", "moe", "experts"], texts) == "Routing and MoE"
    assert make_label(["lora", "routing"], ["LoRA adapters", "LoRA routing"]) == "LoRA and routing"
    assert make_label(["ipad app"], ["An iPad app for notes."]) == "iPad app"


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
    terms = "; ".join(seed_result.topics["top_terms"])
    assert "in-context" in terms and "incontext" not in terms
    assert "self-supervised" in terms and "vision-language" in terms and "zero-shot" in terms
    # every word of every term is a word of the papers as written: nothing glued from a stripped hyphen
    text = " ".join(seed_papers["title"] + " " + seed_papers["abstract"]).lower()
    words = set(re.findall(r"[\w-]+", text))
    glued = {w for term in terms.split("; ") for w in term.split() if w not in words}
    assert not glued


def test_a_phrase_is_written_as_running_text_writes_it_not_as_titles_do():
    texts = [
        "Vision-Language Models (VLMs) see.",
        "VISTA: Vision-Language Models at Scale",
        "We probe vision-language models.",
    ]
    assert make_label(["vision-language models", "probe"], texts) == "Vision-language models"
    # only ever title-cased: kept as written
    assert make_label(["monte carlo", "tree"], ["Monte Carlo tree search.", "Fast Monte Carlo."]) == "Monte Carlo"
    assert make_label(["kv cache"], ["KV Cache Eviction", "the KV cache"]) == "KV cache"


# ------------------------------------------------------------------ phrase labels (planted, no fit needed)
_FILLER = (
    "we study efficient methods for training large models on public benchmark data and report strong results "
    "across several settings with careful ablations of each design choice in our experiments"
).split()


def _texts(phrases_by_group: list[list[str]], seed: int = 0) -> tuple[list[str], np.ndarray]:
    """One text per phrase list entry: shuffled filler words that every group shares, around its phrases."""
    rng = np.random.default_rng(seed)
    texts, groups = [], []
    for group, phrases in enumerate(phrases_by_group):
        for phrase in phrases:
            words = list(rng.permutation(_FILLER)[:14])
            cut = int(rng.integers(2, 10))
            texts.append(" ".join(words[:cut]) + (f". {phrase} " if phrase else " ") + " ".join(words[cut:]) + ".")
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
