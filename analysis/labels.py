"""Topic labels a person would write: a 2–5 word phrase that occurs in the topic's own papers.

BERTopic names topics ``0_the_and_to_of``. We take the topic's top c-TF-IDF terms (1–3-grams, best first) and
keep the first that (a) neither starts nor ends with a stop word, (b) is not a generic research word, and
(c) occurs verbatim in the topic's papers — which rules out n-grams glued across removed stop words — and
write it in its most frequent surface form (``KV cache``, ``in-context learning``). When no such phrase is
among the top five terms, the label joins the two best specific words (``Medical and biomedical``). Labels
are unique across topics.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

__all__ = ["GENERIC_WORDS", "STOP_WORDS", "covering_terms", "make_label", "unique_labels"]

# Words every abstract uses; as topic terms they say nothing about the theme.
GENERIC_WORDS = frozenset(
    """
    paper propose proposed proposes approach approaches method methods result results show shows shown
    demonstrate demonstrates novel new existing based using use used uses performance achieve achieves
    achieving state art work works study studies framework task tasks significantly significant
    experiments experimental extensive effective effectively improve improves improved improving introduce
    introduces present presents various different address challenge challenges key including furthermore
    however recent recently propose paper code available github com https http outperforms outperform
    """.split()
)
STOP_WORDS = frozenset(ENGLISH_STOP_WORDS) | GENERIC_WORDS
# Fine inside a phrase ("language model"), too vague to stand alone in "X and Y".
VAGUE_WORDS = frozenset(
    "data model models language learning training llm llms large deep neural network networks".split()
)
PHRASE_RANK = 5  # a phrase beyond the top terms loses to the two best words


def _words(term: str) -> list[str]:
    return term.split()


def _acceptable(term: str) -> bool:
    words = _words(term)
    return (
        0 < len(words) <= 5
        and words[0] not in STOP_WORDS
        and words[-1] not in STOP_WORDS
        and not any(w.isdigit() for w in words)
        and len(term) >= 3
    )


_NON_WORD = re.compile(r"\W+")


def _squashed(texts: Sequence[str]) -> list[str]:
    """``texts`` case-folded without their non-word characters: a text can hold a term only if its squashed
    form holds the term's, and a substring test is far cheaper than the regular expression."""
    return [_NON_WORD.sub("", text).casefold() for text in texts]


def _surface_form(term: str, texts: Sequence[str], squashed: Sequence[str]) -> str | None:
    """The most frequent way ``term`` is written in ``texts`` (words joined by space or hyphen), or None.
    ``squashed``: :func:`_squashed` of ``texts``, made once by callers that look up many terms in them."""
    # BERTopic strips punctuation before counting terms ("in-context" becomes "incontext"): allow it back.
    words = [r"\W?".join(map(re.escape, word)) for word in _words(term)]
    pattern = re.compile(r"\b" + r"[\s\-]+".join(words) + r"\b", re.IGNORECASE)
    key = _NON_WORD.sub("", term).casefold()
    texts = [text for text, short in zip(texts, squashed, strict=True) if key in short]
    forms = Counter(match.group(0) for text in texts for match in pattern.finditer(text))
    if not forms:
        return None
    form = " ".join(max(forms.items(), key=lambda item: (item[1], item[0]))[0].split())
    return _sentence_case(form)


def _has_capitals_inside(word: str) -> bool:
    """``MoE``, ``LoRA``, ``iPhone``: written that way on purpose."""
    return any(c.isupper() for c in word[1:])


def _sentence_case(phrase: str) -> str:
    first = phrase.split()[0]
    return phrase if _has_capitals_inside(first) or not phrase[0].islower() else phrase[0].upper() + phrase[1:]


def _mid_sentence(phrase: str) -> str:
    first = phrase.split()[0]
    return phrase if _has_capitals_inside(first) else phrase[0].lower() + phrase[1:]


def _same_word(a: str, b: str) -> bool:
    a, b = a.casefold(), b.casefold()
    return a.rstrip("s") == b.rstrip("s")


def make_label(terms: Sequence[str], texts: Sequence[str], taken: set[str] = frozenset()) -> str:
    """Build a label from ranked ``terms`` (best first) and the topic's ``texts``; avoid labels in ``taken``.

    Examples
    --------
    >>> make_label(["cache", "kv cache", "cache compression"], ["We compress the KV cache of LLMs."])
    'KV cache'
    """
    squashed = _squashed(texts)
    phrases = [
        (rank, t, form)
        for rank, t in enumerate(terms)
        if _acceptable(t) and (form := _surface_form(t, texts, squashed))
    ]
    multi = [form for _, t, form in phrases if len(_words(t)) >= 2]
    single = [form for _, t, form in phrases if len(_words(t)) == 1 and t not in VAGUE_WORDS]
    for rank, term, label in phrases:
        if len(_words(term)) >= 2 and (rank < PHRASE_RANK or len(single) < 2) and label.casefold() not in taken:
            return label
    # No phrase: the best word with the next word that is not part of it.
    for i, first in enumerate(single):
        for second in single[i + 1 :]:
            if _same_word(first, second):  # "Agent and agents" says one thing twice
                continue
            label = f"{first} and {_mid_sentence(second)}"
            if label.casefold() not in taken:
                return label
    for label in multi + single:
        for suffix in range(2, 100):
            if f"{label} ({suffix})".casefold() not in taken:
                return f"{label} ({suffix})"
    return "Miscellaneous papers"


def covering_terms(terms: Sequence[str], texts_by_child: Sequence[Sequence[str]]) -> list[str]:
    """The ``terms`` (in order) that occur in the papers of at least half of the children (fine topics) of a
    broad topic, so that its label covers them; all terms when none does.

    Examples
    --------
    >>> covering_terms(["kv cache", "speculative decoding", "inference"],
    ...                [["KV cache eviction for inference"], ["Speculative decoding speeds inference"]])
    ['kv cache', 'speculative decoding', 'inference']
    >>> covering_terms(["kv cache", "speculative decoding", "inference"],
    ...                [["KV cache eviction for inference"], ["Speculative decoding speeds inference"],
    ...                 ["Faster inference"]])
    ['inference']
    """
    needed = max(1, (len(texts_by_child) + 1) // 2)
    children = [(texts, _squashed(texts)) for texts in texts_by_child]
    covering = [t for t in terms if sum(_surface_form(t, *child) is not None for child in children) >= needed]
    return covering or list(terms)


def unique_labels(
    terms_by_topic: Sequence[Sequence[str]], texts_by_topic: Sequence[Sequence[str]], avoid: Sequence[str] = ()
) -> list[str]:
    """One label per topic, in order; later topics avoid labels already given, and all avoid those in ``avoid``
    (e.g. the fine level's labels, when labelling the broad level)."""
    taken = {label.casefold() for label in avoid}
    labels = []
    for terms, texts in zip(terms_by_topic, texts_by_topic, strict=True):
        label = make_label(terms, texts, taken)
        taken.add(label.casefold())
        labels.append(label)
    return labels
