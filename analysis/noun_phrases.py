"""Noun phrases, by the part-of-speech tagger that ships inside TextBlob's wheel (Pattern's English lexicon with
its suffix and context rules: nothing to download).

A noun phrase here is a head with the words that modify it: the head a noun (``agents``, ``KV cache``) or a
gerund after a modifier (``in-context learning``, ``3D Gaussian splatting``); the modifiers adjectives, nouns,
numbers (``3D``), participles before the head (``pre-trained models``) and gerunds (``scaling laws``); and at most
one ``of`` after a noun (``mixture of experts``). So never a verb phrase (``provide evidence``), a noun and the
participle after it (``model trained``), a comparative (``lower memory``) or a lone adjective (``multimodal``).
The head is where the phrase ends in the text: ``large language`` is not a phrase of ``large language models``

:func:`noun_phrases` gives every such phrase of a text (the labels' candidates); :func:`is_noun_phrase` says
whether a label, read on its own, is one.
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["is_noun_phrase", "noun_phrases", "tagged_runs"]

NOUNS = frozenset({"NN", "NNS", "NNP", "NNPS"})
MODIFIERS = frozenset({"JJ", "NN", "NNP", "CD", "VBN", "VBG"})  # before the head
GERUND_AFTER = frozenset({"JJ", "NN", "NNP", "CD", "VBN"})  # a gerund after one of these heads a phrase
SUBJECTS = frozenset({"we", "they", "i", "you"})  # the word after one of these (or a modal verb) is a verb
ADVERBS = frozenset({"also", "further", "first", "then", "next", "now", "additionally"})  # ...adverbs between
WORD = re.compile(r"\w[\w-]*\w", re.UNICODE)  # the words topic terms are made of (analysis.topics.TOKEN_PATTERN)


@lru_cache(maxsize=1)
def _parser():
    from textblob.en import parser  # loads the lexicon on first use (a third of a second)

    return parser


def _for_tagging(token: str) -> str:
    """A capitalised word in lower case (``Multimodal``, ``Scaling``, as sentence starts and titles write
    them), so that the tagger reads it as the word and not as a name; acronyms and names written with
    capitals inside (``LLMs``, ``MoE``, ``GPT-4o``) as they are."""
    return token.lower() if token[:1].isupper() and token[1:] == token[1:].lower() else token


def _verbs_after_subjects(tokens: list[str], tags: list[str]) -> list[str]:
    """``tags`` with a noun after a subject pronoun or a modal verb, adverbs between, read as the verb it is:
    the lexicon reads ``study`` and ``train`` as nouns in ``We study`` and ``we further train``."""
    tags = list(tags)
    for i in range(1, len(tags)):
        j = i - 1
        while j > 0 and (tags[j] == "RB" or tokens[j].casefold() in ADVERBS):
            j -= 1
        if tags[i] in NOUNS and (tags[j] == "MD" or tokens[j].casefold() in SUBJECTS):
            tags[i] = "VB"
    return tags


LINKS = frozenset({"of", "a", "the"})  # a hyphenated word whose last part follows one of these is a noun


def _nominal_compounds(tokens: list[str], tags: list[str]) -> list[str]:
    """``tags`` with a hyphenated phrase whose last part follows ``of``, ``a`` or ``the`` read as the noun it
    is where no noun follows it (``chain-of-thought``, ``mixture-of-experts``, ``LLM-as-a-judge``): the tagger
    reads every unknown hyphenated word as an adjective."""
    tags = list(tags)
    for i, token in enumerate(tokens):
        parts = token.casefold().split("-")
        followed = i + 1 < len(tags) and tags[i + 1] in NOUNS
        if tags[i] == "JJ" and len(parts) >= 3 and parts[-2] in LINKS and not followed:
            tags[i] = "NN"
    return tags


def tagged_runs(text: str) -> list[list[tuple[str, str]]]:
    """The words of ``text`` with their tags, in runs that punctuation (and anything that is not a word of two
    characters or more) interrupts: ``[[("large", "JJ"), ("language", "NN"), ("models", "NNS")], ...]``."""
    parser = _parser()
    runs: list[list[tuple[str, str]]] = []
    for sentence in parser.find_tokens(text):
        tokens = sentence.split()
        tags = [tag for _, tag in parser.find_tags([_for_tagging(t) for t in tokens])]
        tags = _nominal_compounds(tokens, _verbs_after_subjects(tokens, tags))
        # a plural without an s (data, media, criteria) modifies as a singular does: "data quality"
        tags = [
            "NN" if tag == "NNS" and not token.casefold().endswith("s") else tag
            for token, tag in zip(tokens, tags, strict=True)
        ]
        run: list[tuple[str, str]] = []
        for token, tag in zip(tokens, tags, strict=True):
            if WORD.fullmatch(token):
                run.append((token, tag))
            else:
                if run:
                    runs.append(run)
                run = []
        if run:
            runs.append(run)
    return runs


def _continues(tag: str, next_tag: str | None) -> bool:
    """Whether a word tagged ``tag`` is followed by more of its phrase: a noun it modifies (a plural noun
    modifies none: in ``models reason`` the lexicon's noun is the verb), or a gerund."""
    return (next_tag in NOUNS and tag in MODIFIERS) or (next_tag == "VBG" and tag in GERUND_AFTER)


def _ends_phrase(tags: list[str], i: int) -> bool:
    """Whether the word ``i`` can end a noun phrase: a noun, or a gerund after a modifier."""
    return tags[i] in NOUNS or (tags[i] == "VBG" and i > 0 and tags[i - 1] in GERUND_AFTER)


def _is_head(tags: list[str], i: int) -> bool:
    """Whether the word ``i`` is the head of its phrase: it can end one, and the phrase does not go on."""
    return _ends_phrase(tags, i) and not _continues(tags[i], tags[i + 1] if i + 1 < len(tags) else None)


def _starts(words: list[str], tags: list[str], end: int, max_words: int) -> list[int]:
    """Where a noun phrase that ends at the head ``end`` may start: each start whose words up to the head are
    modifiers, with at most one ``of`` after a noun and before more modifiers."""
    starts, seen_of = [end], False
    for j in range(end - 1, max(-1, end - max_words), -1):
        if words[j].casefold() == "of" and tags[j] == "IN":
            if seen_of or j == 0 or tags[j - 1] not in NOUNS:
                break
            seen_of = True
            continue
        if tags[j] not in MODIFIERS:
            break
        starts.append(j)  # before an "of", a noun: the check at the "of" stops at anything else
    return starts


def noun_phrases(text: str, max_words: int = 4) -> list[str]:
    """Every noun phrase of 1 to ``max_words`` words in ``text``, lower case, each time it occurs: the head's
    phrase and each shorter one that ends at the same head (``large language models``, ``language models``,
    ``models``)."""
    out = []
    for run in tagged_runs(text):
        words, tags = [w for w, _ in run], [t for _, t in run]
        for end in range(len(words)):
            if _is_head(tags, end):
                out.extend(" ".join(words[j : end + 1]).casefold() for j in _starts(words, tags, end, max_words))
    return out


@lru_cache(maxsize=4096)
def is_noun_phrase(label: str) -> bool:
    """Whether ``label``, tagged on its own, is one noun phrase, or two joined by ``and`` (``Video generation
    and 3D scenes``): its last word a head and every word before it part of that head's phrase."""
    parts = re.split(r"\s+and\s+", label.strip())
    for part in parts:
        runs = tagged_runs(part)
        if len(runs) != 1:
            return False
        words, tags = [w for w, _ in runs[0]], [t for _, t in runs[0]]
        if not _is_head(tags, len(words) - 1):
            return False
        if 0 not in _starts(words, tags, len(words) - 1, len(words)):
            return False
    return bool(parts)
