"""The optional language-model namer, against a stub OpenAI-compatible server on 127.0.0.1: good answers,
garbage, overlong and duplicate names, 500s, answers past the timeout and invalid JSON. No real model."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from replay import serving

from analysis.__main__ import main
from analysis.namer import PROMPT, Namer, llm_names, parse_name, prompt_for
from analysis.topics import relabel_topics


class ChatServer(ThreadingHTTPServer):
    """Answers ``POST /v1/chat/completions`` with ``answer(prompt, n)`` -> (status, message text, delay), ``n``
    counting the requests; logs each request body in ``requests``."""

    daemon_threads = True

    def __init__(self, answer):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.answer, self.requests, self.lock = answer, [], threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


class _Handler(BaseHTTPRequestHandler):
    server: ChatServer

    def log_message(self, *args) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with self.server.lock:
            self.server.requests.append(body)
            n = len(self.server.requests)
        status, text, delay = self.server.answer(body["messages"][-1]["content"], n)
        time.sleep(delay)
        reply = text if status != 200 or text.startswith("RAW:") else json.dumps(
            {"choices": [{"message": {"role": "assistant", "content": text}}]}
        )  # fmt: skip
        payload = reply.removeprefix("RAW:").encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting
            pass


def chat_server(answer):
    return serving(ChatServer(answer))


def _first_phrase(prompt: str) -> str:
    return re.search(r"Its best phrases: ([^;\n]+)", prompt).group(1)


def _good(prompt, n):
    return 200, json.dumps({"name": _studies(_first_phrase(prompt))}), 0


def _studies(label: str) -> str:
    return "Studies of " + " ".join(label.lower().split()[:3])


def _run(result, server, tmp_path, **kwargs):
    lines = []
    named = llm_names(result, Namer(server.url, "stub-model", cache=tmp_path / "names", **kwargs), lines.append)
    return named, lines


def test_good_answers_name_every_topic_and_are_marked_llm(seed_result, tmp_path):
    with chat_server(_good) as server:
        named, lines = _run(seed_result, server, tmp_path)
    n_fine, n_broad = len(seed_result.topics), len(seed_result.broad)
    assert len(server.requests) == n_fine + n_broad
    assert {r["temperature"] for r in server.requests} == {0} and {r["model"] for r in server.requests} == {
        "stub-model"
    }
    expected = [_studies(label) for label in seed_result.topics["label"]]
    assert named.topics["label"].tolist() == expected and set(named.topics["label_source"]) == {"llm"}
    assert set(named.broad["label_source"]) == {"llm"}
    assert named.papers["topic_label"].tolist() == named.papers["topic"].map(dict(enumerate(expected))).tolist()
    # a broad topic's prompt lists its fine topics by their new names
    broad_prompts = [r["messages"][-1]["content"] for r in server.requests[n_fine:]]
    assert any("Its subtopics: Studies of" in p for p in broad_prompts)
    assert lines == [f"namer stub-model: {n_fine + n_broad} names kept, 0 of {n_fine + n_broad} answers refused "
                     "(not JSON, over 6 words, a name taken, no word of the topic's, or no answer)"]  # fmt: skip
    assert seed_result.topics["label_source"].eq("phrase").all()  # the input is left alone


@pytest.mark.parametrize(
    "answer",
    [
        lambda p, n: (200, "Sure! The topic is about many things.", 0),  # garbage: no JSON
        lambda p, n: (200, '{"name": "a very long name that goes on and on"}', 0),  # over 6 words
        lambda p, n: (200, '{"name": "Banana bread recipes"}', 0),  # no word of the topic's
        lambda p, n: (200, '{"title": "Scaling laws"}', 0),  # JSON, but no name
        lambda p, n: (200, "RAW:{not json", 0),  # the API's own answer is not JSON
        lambda p, n: (500, '{"error": "overloaded"}', 0),  # 500 on every try
        lambda p, n: (404, '{"error": "no such model"}', 0),  # not retried
        lambda p, n: (200, json.dumps({"name": _first_phrase(p)}), 1.5),  # past the timeout
    ],
    ids=["garbage", "overlong", "unrelated", "no-name", "invalid-json", "500", "404", "slow"],
)
@pytest.mark.slow
def test_refused_answers_keep_the_phrase_labels(seed_result, tmp_path, answer):
    with chat_server(answer) as server:
        named, lines = _run(seed_result, server, tmp_path, timeout=0.5)
    assert named.topics["label"].tolist() == seed_result.topics["label"].tolist()
    assert named.broad["label"].tolist() == seed_result.broad["label"].tolist()
    assert set(named.topics["label_source"]) == {"phrase"}
    n = len(seed_result.topics) + len(seed_result.broad)
    assert f"0 names kept, {n} of {n} answers refused" in lines[0]


def test_a_duplicate_name_is_kept_once_and_500s_are_retried(seed_result, tmp_path):
    first = seed_result.topics["label"].iloc[0]

    def flaky(prompt, n):
        if n <= 2:
            return 500, "{}", 0  # the first request fails twice, then succeeds
        return 200, json.dumps({"name": f"{first} work"}), 0  # the same name for every topic

    with chat_server(flaky) as server:
        named, _ = _run(seed_result, server, tmp_path)
    assert len(server.requests) == len(seed_result.topics) + len(seed_result.broad) + 2
    assert (named.topics["label"] == f"{first} work").sum() == 1
    assert (named.topics["label_source"] == "llm").sum() == 1


def test_a_rerun_asks_nothing_and_a_name_the_user_set_is_never_asked_about(seed_result, tmp_path):
    user = relabel_topics(seed_result, {0: "Large-batch training"})
    with chat_server(_good) as server:
        named, _ = _run(user, server, tmp_path)
        asked = len(server.requests)
        again, _ = _run(user, server, tmp_path)
    assert asked == len(seed_result.topics) - 1 + len(seed_result.broad)
    assert len(server.requests) == asked  # every answer came from the cache
    assert again.topics["label"].tolist() == named.topics["label"].tolist()
    assert named.topics.loc[0, ["label", "label_source"]].tolist() == ["Large-batch training", "user"]


def test_a_server_that_cannot_be_reached_is_one_line_and_changes_nothing(seed_result, tmp_path):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    lines = []
    named = llm_names(seed_result, Namer(f"http://127.0.0.1:{port}/v1", "m", cache=tmp_path), lines.append)
    assert named is seed_result
    assert len(lines) == 1 and "cannot be reached" in lines[0] and "keep their phrase labels" in lines[0]


def test_the_prompt_and_the_answer_parser():
    prompt = prompt_for(
        ["KV cache", "eviction"], ["ShadowKV: KV cache in shadows"], ["KV cache", "Speculative decoding"]
    )
    assert "Its best phrases: KV cache; eviction" in prompt and "- ShadowKV: KV cache in shadows" in prompt
    assert "Its subtopics: KV cache; Speculative decoding" in prompt and '{"name": "..."}' in prompt
    assert "{phrases}" in PROMPT and "Its subtopics" not in prompt_for(["a"], ["b"])
    assert parse_name('```json\n{"name": "  KV cache  eviction. "}\n```') == "KV cache eviction"
    assert parse_name("no json") is None and parse_name('{"name": 3}') is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--namer", "http://127.0.0.1:9/v1"], "--namer needs --namer-model"),
        (["--namer-model", "llama3.2"], "give --namer URL too"),
        (["--namer", "localhost:11434", "--namer-model", "m"], "must be an http:// or https:// address"),
        (["--namer", "http://127.0.0.1:9/v1", "--namer-model", "m", "--model", "MODEL"], "names the topics of a new"),
    ],
)
def test_namer_mistakes_are_one_line_before_any_work(tmp_path, capsys, args, message):
    model = tmp_path / "model"
    model.mkdir()
    (model / "topics.json").write_text("{}")
    args = [a.replace("MODEL", str(model)) for a in args]
    assert main(["run", "data/", "--out", str(tmp_path / "out"), *args]) == 1
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1
    assert not (tmp_path / "out").exists()
