"""Topic names from a local language model, where the user runs one: optional, and never needed.

``run --namer URL --namer-model NAME`` asks an OpenAI-compatible server (``POST {URL}/chat/completions``: Ollama at
``http://localhost:11434/v1``, llama.cpp's ``llama-server``, vLLM, LM Studio) to name each topic of a fit from
its best phrases, a few representative titles and, for a broad topic, its fine topics' names (:data:`PROMPT`).
An answer is kept only where it parses as ``{"name": "..."}``, is 1 to :data:`MAX_WORDS` words, differs from
every other name of its level, and shares a word (or its stem) with the topic's phrases or titles; otherwise the
phrase label stays. Kept names are marked ``label_source`` ``llm``; a name the user set is never asked about.

Requests are made at temperature 0, with a timeout, and retried on 429 and 5xx answers. A server that cannot be
reached is said in one line, and the phrase labels stay. Answers are cached by a hash of their request (under
the embedding cache directory), so a rerun asks nothing whose prompt is unchanged.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np

from analysis._io import atomic_path, plural
from analysis.errors import InputError

__all__ = ["MAX_WORDS", "PROMPT", "Namer", "check_namer", "llm_names"]

MAX_WORDS = 6
N_TITLES = 6  # representative titles in a prompt
N_PHRASES = 8  # best phrases in a prompt
RETRIES = 3  # further tries after a 429 or 5xx answer
SYSTEM = "You name research topics for a literature review. Answer with JSON only."
PROMPT = """Name this research topic for a literature review.

Its best phrases: {phrases}
Papers closest to its centre:
{titles}
{children}
Answer with JSON {{"name": "..."}}: a noun phrase of 1 to {max_words} words that a researcher would write as the
topic's heading, in the papers' own terms (keep acronyms such as LLM or KV cache as they write them). No quotes,
no full stop, not a sentence."""


def prompt_for(phrases: list[str], titles: list[str], children: list[str] = ()) -> str:
    """The request for one topic (:data:`PROMPT`), from its best phrases, titles and, for a broad topic, its fine
    topics' names."""
    kids = f"Its subtopics: {'; '.join(children)}\n" if children else ""
    listed = "\n".join(f"- {title}" for title in titles)
    return PROMPT.format(phrases="; ".join(phrases), titles=listed, children=kids, max_words=MAX_WORDS)


def check_namer(url: str | None, model: str | None) -> None:
    """``InputError`` for a namer that cannot work: a URL that is not http(s), or one without a model name."""
    if url is None and model is None:
        return
    if url is None:
        raise InputError("--namer-model names the model of a --namer server: give --namer URL too")
    if not re.match(r"https?://[^/\s]+", url):
        raise InputError(f"--namer must be an http:// or https:// address, got {url!r}")
    if not model:
        raise InputError("--namer needs --namer-model NAME (the model the server runs, e.g. llama3.2)")


class Unreachable(Exception):
    """The server did not answer at all (refused, unknown host)."""


@dataclasses.dataclass
class Namer:
    """An OpenAI-compatible chat server: ``url`` (up to ``/v1``), ``model``, a ``timeout`` per request in
    seconds, and a ``cache`` directory for answers (None: no cache)."""

    url: str
    model: str
    timeout: float = 60.0
    cache: Path | None = None

    def _body(self, prompt: str) -> bytes:
        messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": prompt}]
        return json.dumps({"model": self.model, "messages": messages, "temperature": 0}, sort_keys=True).encode()

    def ask(self, prompt: str) -> str | None:
        """The server's answer to ``prompt`` (its message text), from the cache where it was asked before; None
        when it gave none in time or failed after :data:`RETRIES` retries. ``Unreachable`` when nothing answers."""
        body = self._body(prompt)
        cached = self.cache / f"{hashlib.sha256(body).hexdigest()}.json" if self.cache else None
        if cached is not None and cached.exists():
            return json.loads(cached.read_text())["answer"]
        answer = self._post(body)
        if answer is not None and cached is not None:
            cached.parent.mkdir(parents=True, exist_ok=True)
            with atomic_path(cached) as tmp:
                tmp.write_text(json.dumps({"answer": answer}))
        return answer

    def _post(self, body: bytes) -> str | None:
        request = urllib.request.Request(
            f"{self.url.rstrip('/')}/chat/completions", data=body, headers={"Content-Type": "application/json"}
        )
        for attempt in range(RETRIES + 1):
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    reply = json.loads(response.read().decode("utf-8", "replace"))
                return str(reply["choices"][0]["message"]["content"])
            except urllib.error.HTTPError as error:
                if error.code != 429 and error.code < 500 or attempt == RETRIES:
                    return None
                time.sleep(0.2 * 2**attempt)
            except urllib.error.URLError as error:
                if isinstance(error.reason, TimeoutError):
                    return None
                raise Unreachable(str(error.reason)) from None
            except TimeoutError:
                return None
            except ConnectionError as error:
                raise Unreachable(str(error)) from None
            except (ValueError, KeyError, IndexError, TypeError):  # not the API's JSON
                return None
        return None


def parse_name(answer: str | None) -> str | None:
    """The ``name`` of the first JSON object in ``answer``, with its white space made single; None where there
    is none."""
    if not answer:
        return None
    for match in re.finditer(r"\{[^{}]*\}", answer):
        try:
            name = json.loads(match.group(0)).get("name")
        except (ValueError, AttributeError):
            continue
        if isinstance(name, str) and name.strip():
            return " ".join(name.split()).strip(" .\"'")
    return None


def _stems(text: str) -> set[str]:
    from nltk.stem.porter import PorterStemmer  # bundled with TextBlob's dependency; no data to download

    from analysis.labels import STOP_WORDS

    stem = PorterStemmer().stem
    return {stem(word) for word in re.findall(r"[a-z0-9]+", text.casefold()) if word not in STOP_WORDS}


def acceptable(name: str | None, others: list[str], context: str) -> bool:
    """Whether an answer may name a topic: 1 to :data:`MAX_WORDS` words, not another name of its level
    (``others``; case, plural and acronym ignored), and a word or stem in common with ``context``."""
    from analysis.labels import _clashes

    if not name or not 1 <= len(name.split()) <= MAX_WORDS:
        return False
    return not _clashes(name, others) and bool(_stems(name) & _stems(context))


def _titles(result, key: str, row) -> list[str]:
    """Up to :data:`N_TITLES` titles of a topic's papers, those closest to its centre first."""
    papers = result.papers
    members = np.flatnonzero(papers[key].to_numpy() == row[key])
    titles = [t for t in str(row["representative_titles"]).split(" | ") if t]
    if result.embeddings is not None and len(members):
        vectors = result.embeddings[members]
        centre = vectors.mean(axis=0)
        order = members[np.argsort(-(vectors @ centre), kind="stable")]
        titles += papers["title"].to_numpy()[order].tolist()
    return list(dict.fromkeys(titles))[:N_TITLES]


def _name_level(result, namer: Namer, *, broad: bool, counts: dict) -> dict[int, str]:
    from analysis.topics import level_table

    table, key = level_table(result, broad=broad)
    names = dict(zip(table[key], table["label"], strict=True))
    chosen: dict[int, str] = {}
    for _, row in table.iterrows():
        if row["label_source"] != "phrase":
            continue
        phrases = [row["label"], *[t for t in str(row["top_terms"]).split("; ") if t]][:N_PHRASES]
        titles = _titles(result, key, row)
        children = str(row["topics"]).split(" | ") if broad and row["n_topics"] > 1 else []
        counts["asked"] += 1
        name = parse_name(namer.ask(prompt_for(phrases, titles, children)))
        others = [label for t, label in names.items() if t != row[key]]
        if acceptable(name, others, " ".join([*phrases, *titles, *children])):
            chosen[int(row[key])] = name
            names[row[key]] = name
        else:
            counts["refused"] += 1
    return chosen


def llm_names(result, namer: Namer | None, log=print):
    """``result`` with its topics (fine, then broad) named by ``namer`` where the answer is acceptable (see the
    module), ``label_source`` ``llm``; unchanged without a namer or when the server cannot be reached (one line
    says so)."""
    if namer is None:
        return result
    from analysis.topics import relabel_topics

    counts, named = {"asked": 0, "refused": 0}, result
    try:
        fine = _name_level(named, namer, broad=False, counts=counts)
        named = relabel_topics(named, fine, source="llm")
        broad = _name_level(named, namer, broad=True, counts=counts)  # with its fine topics' new names
        named = relabel_topics(named, broad, broad=True, source="llm")
    except Unreachable as error:
        log(f"namer {namer.url} cannot be reached ({error}): the topics keep their phrase labels")
        return result
    kept = len(fine) + len(broad)
    log(
        f"namer {namer.model}: {plural(kept, 'name')} kept, {counts['refused']} of {counts['asked']} answers "
        f"refused (not JSON, over {MAX_WORDS} words, a name taken, no word of the topic's, or no answer)"
    )
    return named
