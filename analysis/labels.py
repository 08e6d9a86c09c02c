"""Topic labels a person would write: a 2–5 word phrase that occurs in the topic's own papers.

BERTopic names topics ``0_the_and_to_of``. We take the topic's top c-TF-IDF terms (1–3-grams, best first) and
keep the first that (a) neither starts nor ends with a stop word, (b) is not a generic research word, and
(c) occurs verbatim in the topic's papers — which rules out n-grams glued across removed stop words — and
write it in its most frequent surface form (``KV cache``, ``in-context learning``). A phrase further down the
top ten terms still wins when it holds one of the topic's three best specific words (``scaling laws`` for a
topic led by ``scaling``). A phrase cut off from a longer one (``large language``, which the papers nearly
always continue with ``models``) is completed. Only when there is no such phrase does the label join the two
best specific words (``Medical and biomedical``), and then as the phrase they form where the papers write
them together (``autonomous`` + ``driving``: ``Autonomous driving``). Labels are unique across topics.
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
PHRASE_RANK = 5  # a phrase beyond the top terms loses to the two best words...
CORE_PHRASE_RANK = 10  # ...unless it holds one of the CORE_WORDS best specific words and ranks this high
CORE_WORDS = 3
RUN_ON = 0.6  # a phrase followed by the same word this often is cut off from a longer one
PAIR_SHARE = 0.05  # two words written as a phrase in this share of the papers (and in 2 or more) make one


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


def _pattern(term: str, then: str = "") -> re.Pattern:
    """``term`` as written: words joined by spaces or hyphens, case ignored, and the punctuation that BERTopic
    strips before counting terms allowed back (``incontext`` finds ``in-context``); ``then`` follows it."""
    words = [r"\W?".join(map(re.escape, word)) for word in _words(term)]
    return re.compile(r"\b" + r"[\s\-]+".join(words) + r"\b" + then, re.IGNORECASE)


def _holding(term: str, texts: Sequence[str], squashed: Sequence[str]) -> list[str]:
    """The ``texts`` that may hold ``term`` (a cheap substring test on their :func:`_squashed` forms)."""
    key = _NON_WORD.sub("", term).casefold()
    return [text for text, short in zip(texts, squashed, strict=True) if key in short]


def _surface_form(term: str, texts: Sequence[str], squashed: Sequence[str]) -> str | None:
    """The most frequent way ``term`` is written in ``texts`` (words joined by space or hyphen), or None; a
    running-text form before a title-cased one (``large language models``, not ``Large Language Models`` as
    titles and acronym definitions write it). ``squashed``: :func:`_squashed` of ``texts``, made once by callers
    that look up many terms in them."""
    pattern = _pattern(term)
    forms = Counter(match.group(0) for text in _holding(term, texts, squashed) for match in pattern.finditer(text))
    if not forms:
        return None
    best = max(forms.items(), key=lambda item: (not _title_cased(item[0]), item[1], item[0]))[0]
    return _sentence_case(" ".join(best.split()))


def _title_cased(form: str) -> bool:
    """Two or more words, each capitalised (``Vision-Language Models``): a title's casing, not the phrase's."""
    words = [word for word in re.split(r"[\s\-]+", form) if word[:1].isalpha()]
    return len(words) >= 2 and all(word[0].isupper() for word in words)


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
    """``agent`` and ``agents``, ``mesh`` and ``meshes``, ``robot`` and ``robotic``, ``agent`` and
    ``multi-agent``: one word said twice."""
    a, b = sorted((a.casefold(), b.casefold()), key=len)
    stem = a[:-2] if a.endswith("es") and len(a) > 4 else a.rstrip("s")
    return len(stem) >= 3 and (b.startswith(stem) or stem in b.split("-"))


def _run_on(term: str, texts: Sequence[str], squashed: Sequence[str]) -> str | None:
    """The word that follows ``term`` in at least :data:`RUN_ON` of its occurrences in ``texts`` (``models``
    after ``large language``), as most often written; None when the phrase ends where the papers end it."""
    pattern = _pattern(term, then=r"([\s\-]+(\w+))?")
    following = [match.group(2) for text in _holding(term, texts, squashed) for match in pattern.finditer(text)]
    words = [(w, w.casefold().rstrip("s")) for w in following if w]
    if not words:
        return None
    stem, count = Counter(s for _, s in words).most_common(1)[0]
    word = Counter(w for w, s in words if s == stem).most_common(1)[0][0]
    if count < RUN_ON * len(following) or word.casefold() in STOP_WORDS or word.isdigit():
        return None
    return word


def _phrase(term: str, texts: Sequence[str], squashed: Sequence[str]) -> str | None:
    """``term`` with the words the papers nearly always add to it (:func:`_run_on`), up to five words, in its
    written form; None if the papers do not write it."""
    while len(_words(term)) < 5 and (more := _run_on(term, texts, squashed)):
        term = f"{term} {more.casefold()}"
    return _surface_form(term, texts, squashed)


def _pair(first: str, second: str, texts: Sequence[str], squashed: Sequence[str]) -> str:
    """``first`` and ``second`` as the phrase they form in the papers (either order), where it is written in at
    least :data:`PAIR_SHARE` of ``texts`` (and two of them); else ``First and second``."""
    needed = max(2, PAIR_SHARE * len(texts))
    for term in (f"{first} {second}".casefold(), f"{second} {first}".casefold()):
        holding = _holding(term, texts, squashed)
        if len(holding) >= needed and sum(_pattern(term).search(text) is not None for text in holding) >= needed:
            if label := _phrase(term, texts, squashed):
                return label
    return f"{first} and {_mid_sentence(second)}"


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
    core = {word.casefold() for word in single[:CORE_WORDS]}
    for rank, term, _ in phrases:
        if len(_words(term)) < 2:
            continue
        if rank < PHRASE_RANK or len(single) < 2 or (rank < CORE_PHRASE_RANK and core & set(_words(term))):
            label = _phrase(term, texts, squashed)
            if label and label.casefold() not in taken:
                return label
    # No phrase: the best word with the next word that is not part of it.
    for i, first in enumerate(single):
        for second in single[i + 1 :]:
            if _same_word(first, second):  # "Agent and agents" says one thing twice
                continue
            label = _pair(first, second, texts, squashed)
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
