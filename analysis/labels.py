"""Topic labels a person would write: the noun phrase a topic's own papers use for what sets them apart.

:func:`name_levels` names both levels of a fit, :func:`phrase_labels` one. Candidates are the noun phrases of 1-4
words in the titles and abstracts of a topic's papers closest to its centre, as the part-of-speech tagger bundled
with TextBlob reads them (:mod:`analysis.noun_phrases`): a head noun or gerund with its modifiers, so never a verb
phrase (*Provide evidence*), a noun and a participle (*Model trained*), a comparative or a lone adjective; never
starting or ending with a stop word or a generic research word; singular and plural, hyphen and space count as
one. Each is scored by how specific it is to the topic: ``share * log(share / share elsewhere)``, where ``share``
is the fraction of the topic's papers that use it; a phrase must be used by 5% of them (and two), twice as often
as by the other topics' papers, and by at most a quarter of those (what every paper of a corpus says names no
topic); a fine topic's phrase scores half where a sibling (a fine topic of the same broad one) uses it as often.
A phrase the papers nearly always write inside a longer one (``Gaussian splatting`` in ``3D Gaussian
splatting``) is completed, and so is a phrase inside a longer one that the papers also abbreviate and that is at
least half as specific (``reasoning models`` in ``large reasoning models``, beside ``LRMs``): the field's name
for it. The label is the best-scored phrase that names a subject on its own (two words or more, a compound such
as ``vision-language-action``, or an acronym such as ``RLVR``), written as the papers most often write it (``KV
cache``, ``LLM agents``; a title's capitals undone), and not a measure, a quantity or a property of one
(``attack success rate``, ``large number``, ``FID`` for Frechet inception distance: :data:`PROPERTY_WORDS`); for
a fine topic whose best phrases are all single words (``attacks``, ``defense``, ``safety``), it is sought further
down (``jailbreak attacks``); a single plain word only when there is no such phrase.

Broad topics are named first. A broad label is shared by the broad topic's fine topics (those of real size): used
by at least 5% of the papers of most of them, and no one of them holding more than two thirds of its shares
(``LLM agents`` over ``Coding agents`` and ``Web agents``, never ``MoE`` over *Scaling laws* and *Compressed
models*); where they share none, the broad topic is named after its two largest fine topics (``Video generation
and 3D scenes``). The fine topics are then named apart from every broad label, so no fine label repeats its
parent's (a broad topic of one fine topic takes that one's label). No two topics of a level share a label, nor
one the acronym of the other's (``VLMs`` beside ``Vision-language models``). A topic whose label is used by
fewer than 10% of its papers is reported as **mixed**: no phrase is shared.

"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from analysis.noun_phrases import is_noun_phrase, noun_phrases

__all__ = [
    "GENERIC_WORDS",
    "LABEL_RULES",
    "STOP_WORDS",
    "Names",
    "name_levels",
    "name_pairs",
    "phrase_labels",
    "with_keywords",
]

# Words every abstract uses, its boilerplate (future research, project page), the verbs of what a paper does
# (evaluating, leveraging) and the praise or count it gives (state-of-the-art, multiple, diverse): as topic terms
# they say nothing about the theme, and no label starts or ends with one.
GENERIC_WORDS = frozenset(
    """
    paper propose proposed proposes approach approaches method methods result results show shows shown
    demonstrate demonstrates novel new existing based using use used uses performance achieve achieves
    achieving state art work works study studies framework task tasks significantly significant
    experiments experimental extensive effective effectively improve improves improved improving introduce
    introduces present presents various different address challenge challenges key including furthermore
    however recent recently propose paper code available github com https http outperforms outperform
    future advancement advancements advance advances page project evaluate evaluates evaluating evaluated
    investigate investigates investigating explore explores exploring leverage leverages leveraging enable
    enables enabling generating multiple diverse sota state-of-the-art
    """.split()
)
STOP_WORDS = frozenset(ENGLISH_STOP_WORDS) | GENERIC_WORDS
RUN_ON = 0.6  # a phrase inside a longer one in this share of its papers is completed to it
ABBREVIATED_ON = 0.5  # ...or to a longer one the papers abbreviate (LRMs) that has this share of its score
# A phrase whose last word is one of these names a measure or a property of a subject, not the subject
# ("attack success rate", "model size", "reasoning capabilities").
# ...and these a quantity of one ("large number", "wide range", "variety of tasks").
PROPERTY_WORDS = frozenset(
    "rate ratio score accuracy cost overhead size speed latency error percentage capability ability technique "
    "number amount variety range array plethora distance metric".split()
)


def _words(term: str) -> list[str]:
    return term.split()


def _head(term: str) -> str:
    """The head of the noun phrase ``term``, singular: its last word (``attack success rates`` -> ``rate``,
    ``capabilities`` -> ``capability``), or the word before its ``of`` (``number of parameters`` -> ``number``)."""
    words = _label_words(term)
    return _singular(words[words.index("of") - 1] if "of" in words[1:] else words[-1])


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


def _pattern(term: str) -> re.Pattern:
    """``term`` as written: words joined by spaces or hyphens, case ignored, and the punctuation that BERTopic
    strips before counting terms allowed back (``incontext`` finds ``in-context``)."""
    words = [r"\W?".join(map(re.escape, word)) for word in _words(term)]
    return re.compile(r"\b" + r"[\s\-]+".join(words) + r"\b", re.IGNORECASE)


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
    best = " ".join(best.split())
    return _sentence_case(_untitled(best) if _title_cased(best) else best)


def _untitled(form: str) -> str:
    """A title's casing undone: each word after the first that is only capitalised in lower case (``Direct
    Preference Optimization`` -> ``Direct preference optimization``); acronyms and names written with capitals
    inside (``LLMs``, ``MoE``) as they are."""
    first, *rest = form.split(" ")
    parts = [re.sub(r"[A-Za-z]+", lambda m: m.group(0).lower() if m.group(0).istitle() else m.group(0), w)
             for w in rest]  # fmt: skip
    return " ".join([first, *parts])


def _title_cased(form: str) -> bool:
    """Two or more words, each capitalised but for short function words (``Vision-Language Models``,
    ``Chain-of-Thought``): a title's casing, not the phrase's."""
    words = [word for word in re.split(r"[\s\-]+", form) if word[:1].isalpha()]
    content = [word for word in words if word.casefold() not in ENGLISH_STOP_WORDS]
    return len(content) >= 2 and all(word[0].isupper() for word in content)


def _has_capitals_inside(word: str) -> bool:
    """``MoE``, ``LoRA``, ``iPhone``: written that way on purpose."""
    return any(c.isupper() for c in word[1:])


def lower_first(label: str) -> str:
    """``label`` as it reads inside a sentence: ``Video generation`` -> ``video generation``; ``KV cache``,
    ``LLM agents`` and ``3D scenes`` as they are."""
    first = label.split()[0]
    return label if _has_capitals_inside(first) or not first[:1].isupper() else label[0].lower() + label[1:]


def _sentence_case(phrase: str) -> str:
    first = phrase.split()[0]
    return phrase if _has_capitals_inside(first) or not phrase[0].islower() else phrase[0].upper() + phrase[1:]


# ----------------------------------------------------------------------------------- phrases of the papers
SAMPLE = 150  # papers per topic the phrases are counted in: those closest to its centre
MAX_WORDS = 4  # longest candidate phrase
MIN_SHARE = 0.05  # a candidate occurs in at least this share of the topic's sampled papers (and in 2)
MIN_LIFT = 2.0  # ...and in at least twice the share of the other papers: "LLMs" names no topic of an LLM corpus
MAX_ELSEWHERE = 0.25  # ...and in at most this share of the others: what a quarter of them say is the corpus's
CANDIDATES = 12  # best-scored phrases per topic that are checked against the texts
SUBJECT_DEPTH = 30  # where none of those names a subject, a fine topic's label is sought among this many
MIXED_SHARE = 0.1  # a label written in fewer of its topic's papers than this names no shared subject
CHILD_SHARE = 0.05  # a broad label occurs in at least this share of the papers of most of its fine topics...
MAX_CONCENTRATION = 2 / 3  # ...and no one of them has more than this part of its shares: the children share it
SIBLING_FACTOR = 0.5  # a fine topic's phrase scores this much less where a sibling uses it as often
REAL_CHILD = 0.1  # a fine topic with this share of its broad topic's sampled papers is one of its children


LABEL_RULES = (
    f"Labels: the noun phrase of 1-{MAX_WORDS} words (a head noun or gerund with its modifiers, by a bundled "
    "part-of-speech tagger), as the papers write it, most specific to a topic's papers (share of its papers that "
    "use it x log of that share over the share among the other topics' papers; used by at least "
    f"{MIN_SHARE:.0%} of them, {MIN_LIFT:g} times as often as by the others, and by at most "
    f"{MAX_ELSEWHERE:.0%} of the others; a fine topic's phrase counts {SIBLING_FACTOR:g} as much where a "
    "sibling uses it as often), completed to the longer phrase the papers nearly always write it in, or to one "
    f"they abbreviate that is at least {ABBREVIATED_ON:.0%} as specific (large reasoning models, beside LRMs); a "
    "phrase of two words or more, a compound or an acronym before a single word, looked for among a fine topic's "
    f"{SUBJECT_DEPTH} best phrases, and the spelled-out phrase before its acronym unless the papers mostly write "
    "the acronym; never a measure, a quantity or a property (attack success rate, large number, FID), nor one that "
    "starts or ends with boilerplate or a verb of what a paper does (project page, evaluating LLMs). A broad "
    f"topic's label is shared by its fine topics (used by {CHILD_SHARE:.0%} of the papers of most of those with "
    f"{REAL_CHILD:.0%} of its papers, none holding more than {MAX_CONCENTRATION:.0%} of its shares); where they "
    "share none, it is named after its two largest fine topics. Fine labels differ from every broad label, and no "
    f"two labels of a level are the same phrase or its acronym. Counted in the {SAMPLE} papers of each topic "
    "closest to its centre, with the papers' own keywords where the input has them. (mixed): fewer than "
    f"{MIXED_SHARE:.0%} of the topic's papers use its label; its papers share no phrase."
)


@dataclass
class Names:
    """Labels of one level, as :func:`phrase_labels` makes them.

    Attributes
    ----------
    labels : list of str
        One per topic, unique.
    coverage : ndarray
        The share of each topic's sampled papers (the :data:`SAMPLE` closest to its centre) that use its
        label's phrase.
    mixed : ndarray of bool
        Topics whose label is written in fewer than :data:`MIXED_SHARE` of them: no phrase is shared, and the
        label is the most covering one there is.
    """

    labels: list[str]
    coverage: np.ndarray
    mixed: np.ndarray


def _samples(groups: np.ndarray, n_groups: int, similarity: np.ndarray) -> list[np.ndarray]:
    """Each group's papers closest to its centre (at most :data:`SAMPLE`), closest first."""
    order = np.argsort(-similarity, kind="stable")
    ranked = groups[order]
    return [order[ranked == g][:SAMPLE] for g in range(n_groups)]


def _singular(term: str) -> str:
    """``term`` with its last word singular: ``llm agents`` and ``llm agent`` count as one phrase, and so do
    ``reasoning capabilities`` and ``reasoning capability``."""
    head, _, last = term.rpartition(" ")
    if len(last) > 4 and last.endswith("ies"):
        last = last[:-3] + "y"
    elif len(last) > 3 and last.endswith("s") and not last.endswith("ss"):
        last = last[:-1]
    return f"{head} {last}".strip()


def _ngrams(text: str) -> list[str]:
    """Every noun phrase of 1 to :data:`MAX_WORDS` words in ``text``, lower case
    (:func:`analysis.noun_phrases.noun_phrases`): a label's candidates."""
    return noun_phrases(text, MAX_WORDS)


@dataclass
class Phrases:
    """Which papers (``papers``: their positions) use which phrase: ``uses`` (one binary row per paper of
    ``papers``), each phrase's most used ``forms`` and singular ``keys``, and the ``initials`` of its words."""

    papers: np.ndarray
    uses: object
    forms: list[str]
    keys: list[str]
    initials: list[str]


def sampled(groups: np.ndarray, similarity: np.ndarray) -> np.ndarray:
    """The positions of the papers :func:`phrase_labels` counts phrases in for these groups (each group's
    :data:`SAMPLE` closest to its centre)."""
    groups = np.asarray(groups)
    samples = _samples(groups, int(groups.max()) + 1 if len(groups) else 0, np.asarray(similarity))
    return np.concatenate(samples) if samples else np.zeros(0, int)


def count_phrases(texts: Sequence[str], papers: np.ndarray) -> Phrases:
    """The phrases of the ``texts`` at positions ``papers`` (see :func:`_phrase_counts`): counted once for
    several :func:`phrase_labels` calls (the two levels) over the same papers."""
    papers = np.asarray(papers)
    uses, forms, keys = _phrase_counts([texts[i] for i in papers])
    initials = ["".join(w[0] for w in re.split(r"[\s-]+", key) if w) for key in keys]
    return Phrases(papers, uses, forms, keys, initials)


def _phrase_counts(texts: Sequence[str]):
    """Which of ``texts`` use which acceptable phrase of 1 to :data:`MAX_WORDS` words: a binary sparse matrix
    (text x phrase, singular and plural counted as one), each phrase's most used form, and its singular key."""
    import scipy.sparse as sp

    from analysis.vocabulary import FrequentTermsVectorizer  # CountVectorizer's counts without every phrase seen

    vectorizer = FrequentTermsVectorizer(analyzer=_ngrams, binary=True, min_df=2 if len(texts) > 20 else 1)
    try:
        counts = vectorizer.fit_transform(texts).tocsc()
    except ValueError:  # no words at all
        return sp.csr_matrix((len(texts), 0)), [], []
    vocabulary = vectorizer.get_feature_names_out()
    keep = [i for i, term in enumerate(vocabulary) if _acceptable(term)]
    counts, vocabulary = counts[:, keep], vocabulary[keep]
    keys = [_singular(term.replace("-", " ")) for term in vocabulary]
    index = {key: i for i, key in enumerate(dict.fromkeys(keys))}
    merge = sp.csr_matrix((np.ones(len(keys)), ([index[k] for k in keys], range(len(keys)))), (len(index), len(keys)))
    merged = (counts @ merge.T).tocsr()
    merged.data[:] = 1
    totals = np.asarray(counts.sum(axis=0)).ravel()
    best: dict[str, tuple[float, str]] = {}
    for key, term, total in zip(keys, vocabulary, totals, strict=True):
        if total > best.get(key, (-1, ""))[0]:
            best[key] = (total, str(term))
    return merged, [best[key][1] for key in index], list(index)


def names_a_subject(phrase: str) -> bool:
    """Whether a written phrase can name a theme on its own: two words or more, a compound of three parts or
    more (``vision-language-action``, ``mixture-of-experts``), or an acronym (``RLVR``, ``MoE``,
    ``SWE-bench``); a single word (``agents``, ``rendering``, ``multi-view``) says too little."""
    return " " in phrase or phrase.count("-") >= 2 or sum(c.isupper() for c in phrase) >= 2


def _scores(uses, rows: np.ndarray, parts: list[np.ndarray] | None = None, siblings=()) -> np.ndarray:
    """How specific each phrase is to the texts ``rows`` against the other texts: ``share * log(share /
    share elsewhere)`` (its term of the divergence between the two), 0 where it is in too few of them or not
    :data:`MIN_LIFT` times as common as elsewhere, or common elsewhere (:data:`MAX_ELSEWHERE`). With
    ``parts`` (the rows of each fine topic of a broad one), times the share of the parts that use it in at
    least :data:`CHILD_SHARE` of their texts, and 0 where that is not more than half of them or where one part
    holds more than :data:`MAX_CONCENTRATION` of its shares (a phrase of one child is not the group's). With
    ``siblings`` (the rows of each other fine topic of the same broad one), times :data:`SIBLING_FACTOR` where
    one of them uses it at least as often: a phrase as common next door does not tell the two apart."""
    n_in, n_out = len(rows), uses.shape[0] - len(rows)
    inside = np.asarray(uses[rows].sum(axis=0)).ravel()
    outside = np.asarray(uses.sum(axis=0)).ravel() - inside
    share = inside / max(n_in, 1)
    if n_out == 0:  # one topic: the phrase most of its papers use
        return np.where(inside >= min(2, n_in), share, 0.0)
    elsewhere = (outside + 0.5) / (n_out + 1)
    enough = (inside >= max(min(2, n_in), MIN_SHARE * n_in)) & (share >= MIN_LIFT * elsewhere)
    enough &= elsewhere <= MAX_ELSEWHERE
    score = np.where(enough, share * np.log(np.maximum(share, 1e-12) / elsewhere), 0.0)
    if parts is not None and len(parts) > 1:
        shares = np.array([np.asarray(uses[part].sum(axis=0)).ravel() / len(part) for part in parts])
        covered = np.mean(shares >= CHILD_SHARE, axis=0)
        concentration = shares.max(axis=0) / np.maximum(shares.sum(axis=0), 1e-12)
        score = np.where((covered > 0.5) & (concentration <= MAX_CONCENTRATION), score * covered, 0.0)
    if siblings:
        best = np.max([np.asarray(uses[sib].sum(axis=0)).ravel() / len(sib) for sib in siblings], axis=0)
        score = np.where(best >= share, SIBLING_FACTOR * score, score)
    return score


# The field's standard evaluation metrics, by the names papers write them: a measure, never a theme (*FID* names no
# image-generation topic), also where the papers never spell them out.
METRICS = frozenset(
    "fid fvd kid lpips psnr ssim clipscore bleu rouge meteor bertscore wer cer auc auroc mrr ndcg perplexity".split()
)


def _measures(keys: list[str], initials: list[str], uses) -> np.ndarray:
    """Whether each phrase names a measure or a property (:data:`PROPERTY_WORDS`, :data:`METRICS`): by its head,
    or, for an acronym, by the head of the phrase it most often stands for (``frechet inception distance``) where
    that is written in a tenth as many texts (``cost of training`` is not what ``CoT`` stands for)."""
    heads = [_head(key) for key in keys]
    totals = np.asarray(uses.sum(axis=0)).ravel()
    spelled: dict[str, int] = {}
    for i in np.argsort(-totals, kind="stable"):
        if " " in keys[i] or "-" in keys[i]:
            spelled.setdefault(initials[i], int(i))
    measure = np.array([head in PROPERTY_WORDS or key in METRICS for head, key in zip(heads, keys, strict=True)])
    for i, key in enumerate(keys):
        full = spelled.get(key)
        if full is not None and _acronym(key.upper()) is not None and totals[full] >= 0.1 * totals[i]:
            measure[i] |= measure[full]
    return measure


def _acronym_of(keys: list[str], initials: list[str]) -> np.ndarray:
    """For each phrase of three words or more (parts of a hyphenated word counted apart), the position of its
    acronym among ``keys`` (``lrm`` for ``large reasoning model``); -1 where there is none."""
    index = {key: i for i, key in enumerate(keys)}
    return np.array([index.get(letters, -1) if len(letters) >= 3 else -1 for letters in initials], dtype=int)


def _holding_phrase(term: int, keys: list[str], among: np.ndarray) -> list[int]:
    """The phrases of ``among`` (a mask over ``keys``) longer than phrase ``term`` that hold it as whole words."""
    words = f" {keys[term]} "
    return [i for i in np.flatnonzero(among) if len(keys[i]) > len(keys[term]) and words in f" {keys[i]} "]


def _longest(term: int, keys: list[str], inside: np.ndarray) -> int:
    """The longest phrase that holds phrase ``term`` (as whole words) and is used in at least :data:`RUN_ON` of
    as many texts (``gaussian splatting`` -> ``3d gaussian splatting``); ``term`` itself when none is."""
    while True:
        longer = _holding_phrase(term, keys, inside >= RUN_ON * inside[term])
        if not longer:
            return term
        term = max(longer, key=lambda i: (inside[i], len(keys[i]), keys[i]))


def _field_name(term: int, keys: list[str], score: np.ndarray, abbreviated: np.ndarray) -> int:
    """For a phrase of two words or more, the longest phrase that holds it (as whole words), that the papers
    also write as its acronym (``abbreviated``: in two texts or more) and that scores at least
    :data:`ABBREVIATED_ON` of it: the field's name for it (``reasoning models`` -> ``large reasoning models``,
    beside ``LRMs``); ``term`` itself when none is."""
    if " " not in keys[term]:
        return term
    longer = _holding_phrase(term, keys, abbreviated & (score >= ABBREVIATED_ON * score[term]))
    return max(longer, key=lambda i: (len(keys[i]), score[i], keys[i]), default=term)


def _completed(term: int, keys, inside: np.ndarray, score: np.ndarray, abbreviated: np.ndarray) -> tuple[int, float]:
    """``term`` completed to the phrase the papers write it in (:func:`_longest`) and named as the field names
    it (:func:`_field_name`), as often as either applies; and the score it ranks by: a longer phrase the papers
    write ranks by its own score, the field's name for a phrase in that phrase's place."""
    rank = score[term]
    while True:
        full = _longest(term, keys, inside)
        rank = score[full] if full != term else rank
        named = _field_name(full, keys, score, abbreviated)
        if named == full:
            return full, rank
        term = named


KEYWORD_COLUMNS = ("keywords", "ai_keywords")  # per-paper keywords: a list, or text split at ";" (or ",")


def with_keywords(texts: Sequence[str], papers) -> list[str]:
    """``texts`` with each paper's keywords after it (from the first of :data:`KEYWORD_COLUMNS` that
    ``papers`` has), each its own phrase: where the input names its papers' subjects, the labels may use those
    names too. ``texts`` unchanged where there is no such column."""
    column = next((c for c in KEYWORD_COLUMNS if c in papers.columns), None)
    if column is None:
        return list(texts)
    out = []
    for text, cell in zip(texts, papers[column], strict=True):
        if isinstance(cell, str):
            words = cell.split(";") if ";" in cell else cell.split(",")
        elif isinstance(cell, list | tuple | np.ndarray):
            words = [str(word) for word in cell]
        else:
            words = []
        out.append(text + "".join(f" | {word.strip()}" for word in words if word.strip()))
    return out


def _spelled_out(form: str, keys: list[str], inside: np.ndarray, initials: list[str]) -> int | None:
    """For an acronym (``ICL``, ``MLLMs``), the phrase it stands for when at least as many of the topic's papers
    write that (``in-context learning``): an acronym stays one only where the papers mostly write it so; else
    None."""
    letters = _acronym(form)
    if letters is None:
        return None
    spelled = [
        i for i, key in enumerate(keys) if initials[i] == letters and " " in key.replace("-", " ") and key != letters
    ]
    acronym = next((i for i, key in enumerate(keys) if key == letters), None)
    used = inside[acronym] if acronym is not None else 0
    best = max(spelled, key=lambda i: (inside[i], keys[i]), default=None)
    return best if best is not None and inside[best] >= used and inside[best] > 0 else None


def _acronym(form: str) -> str | None:
    """The letters of an acronym, lower case and without a plural ``s`` (``MLLMs`` -> ``mllm``); None for
    anything else."""
    letters = form[:-1] if form.endswith("s") and not form.isupper() else form
    if " " in form or not re.fullmatch(r"[A-Za-z]+", letters) or sum(c.isupper() for c in letters) < 2:
        return None
    return letters.casefold()


def _label_words(label: str) -> list[str]:
    return [word for word in re.split(r"[\s-]+", label.casefold()) if word]


def _same_name(one: str, other: str) -> bool:
    """Whether two labels name the same thing: written alike but for case, hyphens and a plural ``s``
    (``LLM agents``, ``LLM-agent``), or one the acronym of the other (``VLMs``, ``Vision-language models``)."""
    if _singular(" ".join(_label_words(one))) == _singular(" ".join(_label_words(other))):
        return True
    return any(
        (letters := _acronym(a)) is not None and _acronym(b) is None and len(words := _label_words(b)) > 1
        and "".join(word[0] for word in words) == letters
        for a, b in ((one, other), (other, one))
    )  # fmt: skip


def phrase_labels(
    texts: Sequence[str],
    groups: np.ndarray,
    similarity: np.ndarray,
    *,
    parents: np.ndarray | None = None,
    family: np.ndarray | None = None,
    avoid: Sequence[str] = (),
    avoid_in: Sequence[Sequence[str]] | None = None,
    counted: Phrases | None = None,
) -> Names:
    """One label per group 0..k-1 of ``groups``: the phrase (1-4 words, as the papers write it) most specific
    to the group's papers, among those its papers use (see :func:`_scores`), completed to the longer phrase the
    papers nearly always write it in.

    ``similarity``: each paper's cosine to its group's centre (the phrases are counted in the closest
    :data:`SAMPLE`). ``parents``: for a broad level, each paper's fine topic; the label must then be shared by
    the group's fine topics (those with :data:`REAL_CHILD` of its sampled papers, where there are two or more).
    ``family``: for a fine level, each group's broad topic; a phrase as common in a sibling scores less. Labels
    are unique, and none is in ``avoid``, nor group ``g``'s in ``avoid_in[g]``. ``counted``: the phrases of
    these texts, counted beforehand over (at least) the papers of :func:`sampled`.
    """
    groups = np.asarray(groups)
    n_groups = int(groups.max()) + 1 if len(groups) else 0
    samples = _samples(groups, n_groups, np.asarray(similarity))
    pooled = np.concatenate(samples) if samples else np.zeros(0, int)
    counted = counted or count_phrases(texts, pooled)
    row = np.full(len(texts), -1)
    row[counted.papers] = np.arange(len(counted.papers))
    uses, phrases, keys, initials = counted.uses[row[pooled]], counted.forms, counted.keys, counted.initials
    start = np.cumsum([0] + [len(s) for s in samples])
    acronym_of = _acronym_of(keys, initials)
    measure = _measures(keys, initials, uses)
    family = None if family is None else np.asarray(family)
    taken = list(avoid)
    labels, coverage = [], np.zeros(n_groups)
    for g in range(n_groups):
        rows = np.arange(start[g], start[g + 1])
        mine = [texts[i] for i in samples[g]]
        squashed = _squashed(mine)
        parts, siblings = None, []
        if parents is not None:
            kids = np.asarray(parents)[pooled[rows]]
            parts = [rows[kids == kid] for kid in np.unique(kids) if np.sum(kids == kid) >= REAL_CHILD * len(rows)]
        if family is not None:
            siblings = [np.arange(start[o], start[o + 1]) for o in np.flatnonzero(family == family[g]) if o != g]
            siblings = [sib for sib in siblings if len(sib)]
        score = _scores(uses, rows, parts, siblings) if len(phrases) else np.zeros(0)
        inside = np.asarray(uses[rows].sum(axis=0)).ravel() if len(phrases) else np.zeros(0)
        ranked = [t for t in np.argsort(-score, kind="stable")[:SUBJECT_DEPTH] if score[t] > 0]
        abbreviated = (acronym_of >= 0) & (inside[acronym_of] >= 2)
        rank: dict[int, float] = {}
        for t in ranked[:CANDIDATES]:
            full, rank_by = _completed(t, keys, inside, score, abbreviated)
            rank[full] = max(rank.get(full, 0.0), rank_by)
        completed = [t for t in rank if score[t] > 0 and not measure[t]]
        forms = {t: _surface_form(phrases[t], mine, squashed) for t in completed}
        barred = [*taken, *(avoid_in[g] if avoid_in is not None else ())]
        named = [t for t in completed if _nameable(forms[t], barred)]
        ordered = sorted(named, key=lambda t: -rank[t])
        chosen = next((t for t in ordered if names_a_subject(forms[t])), None)
        if chosen is None and parents is None:  # a fine topic: a subject a little further down, if there is one
            deeper = [t for t in ranked[CANDIDATES:] if not measure[t]]
            chosen = _deeper_subject(deeper, phrases, mine, squashed, barred, forms)
        chosen = ordered[0] if chosen is None and ordered else chosen
        if chosen is not None and (spelled := _spelled_out(forms[chosen], keys, inside, initials)) is not None:
            form = _surface_form(phrases[spelled], mine, squashed)
            if _nameable(form, barred):
                chosen, forms[spelled] = spelled, form
        if chosen is not None:
            label, coverage[g] = forms[chosen], inside[chosen] / max(len(rows), 1)
        else:  # no phrase at all
            label = _fallback(mine, barred)
        taken.append(label)
        labels.append(label)
    return Names(labels, coverage.round(3), coverage < MIXED_SHARE)


def _deeper_subject(ranked, phrases, texts, squashed, barred, forms: dict) -> int | None:
    """The first of the phrases ``ranked`` that, as the ``texts`` write it, names a subject and is not
    ``barred`` (its form added to ``forms``); None if none does. A topic whose best phrases are single words
    (``attacks``, ``defense``, ``safety``) is still named after a phrase of its papers (``jailbreak attacks``)."""
    for t in ranked:
        form = _surface_form(phrases[t], texts, squashed)
        if _nameable(form, barred) and names_a_subject(form):
            forms[t] = form
            return t
    return None


def _nameable(form: str | None, barred: Sequence[str]) -> bool:
    """Whether a written phrase may be a label: a noun phrase read on its own
    (:func:`analysis.noun_phrases.is_noun_phrase`), and not ``barred``."""
    return bool(form) and is_noun_phrase(form) and not _clashes(form, barred)


def _clashes(label: str, taken: Sequence[str]) -> bool:
    return any(_same_name(label, other) for other in taken)


def shares_no_subject(names: Names, b: int) -> bool:
    """Whether broad topic ``b``'s own label names no subject its fine topics share: it is mixed, or a single
    plain word (see :func:`names_a_subject`)."""
    return bool(names.mixed[b]) or not names_a_subject(names.labels[b])


def name_pairs(broad: Names, fine: Names, broad_of_fine: np.ndarray, sizes: np.ndarray, which) -> None:
    """Name each broad topic of ``which`` (two fine topics or more, whose papers share no phrase that names a
    subject: :func:`shares_no_subject`) after its two largest fine topics: ``Video generation and 3D scenes``,
    the larger first. It is about them, and says so in their words; its coverage is theirs, weighted by size. In
    place; a label that is taken is left as it was."""
    broad_of_fine = np.asarray(broad_of_fine)
    for b in which:
        first, second = sorted(np.flatnonzero(broad_of_fine == b), key=lambda t: (-sizes[t], t))[:2]
        label = f"{fine.labels[first]} and {lower_first(fine.labels[second])}"
        if _clashes(label, broad.labels):
            continue
        broad.labels[b] = label
        broad.coverage[b] = round(float(np.average(fine.coverage[[first, second]], weights=sizes[[first, second]])), 3)
        broad.mixed[b] = bool(fine.mixed[first] or fine.mixed[second])


def name_levels(
    texts: Sequence[str], fine: np.ndarray, broad_of_fine: np.ndarray, similarity: np.ndarray, broad_similarity
) -> tuple[Names, Names]:
    """The labels of both levels: :class:`Names` of the fine topics and of the broad ones, for the papers'
    ``texts``, their fine topics, each fine topic's broad topic, and each paper's cosine to its fine and broad
    centre.

    The broad topics are named first, each by a phrase its fine topics share (:func:`phrase_labels` with
    ``parents``), or after its two largest fine topics where they share none (:func:`name_pairs`); a broad
    topic of one fine topic takes that one's label. The fine topics are then named apart from their siblings
    and from every broad label. Labels are unique within a level."""
    fine, broad_of_fine = np.asarray(fine), np.asarray(broad_of_fine)
    n_fine, n_broad = len(broad_of_fine), int(broad_of_fine.max()) + 1
    broad = broad_of_fine[fine]
    counted = count_phrases(texts, np.union1d(sampled(fine, similarity), sampled(broad, broad_similarity)))
    broad_names = phrase_labels(texts, broad, broad_similarity, parents=fine, counted=counted)
    children = np.bincount(broad_of_fine, minlength=n_broad)
    paired = [b for b in range(n_broad) if children[b] > 1 and shares_no_subject(broad_names, b)]
    kept = [broad_names.labels[b] for b in range(n_broad) if children[b] > 1 and b not in paired]
    fine_names = phrase_labels(texts, fine, similarity, family=broad_of_fine, avoid=kept, counted=counted)
    for b in np.flatnonzero(children == 1):
        child = int(np.flatnonzero(broad_of_fine == b)[0])
        broad_names.labels[b] = fine_names.labels[child]
        broad_names.coverage[b], broad_names.mixed[b] = fine_names.coverage[child], fine_names.mixed[child]
    name_pairs(broad_names, fine_names, broad_of_fine, np.bincount(fine, minlength=n_fine), paired)
    return fine_names, broad_names


def _fallback(texts: Sequence[str], taken: Sequence[str]) -> str:
    """A label where no phrase is specific: the topic's most used acceptable word, numbered if taken."""
    words = Counter(
        w for text in texts for w in set(re.findall(r"\b[a-z][a-z-]{2,}\b", text.casefold())) if w not in STOP_WORDS
    )
    for word, _ in words.most_common():
        if _nameable(_sentence_case(word), taken):
            return _sentence_case(word)
    for suffix in range(2, 10_000):
        if not _clashes(f"Miscellaneous papers ({suffix})", taken):
            return f"Miscellaneous papers ({suffix})"
    raise AssertionError("unreachable")
