"""fetch: the Daily Papers API replayed on 127.0.0.1 from recorded responses, with faults injected."""

import datetime as dt
import json

import pytest
from replay import recorded_days, replay_server

from analysis import load_digests
from analysis.__main__ import main
from analysis.errors import InputError
from analysis.fetch import EMPTY_DAYS, FetchError, check_range, fetch_daily_papers

TODAY = dt.date(2025, 7, 1)
RECORDED = recorded_days()


def _fetch(server, monkeypatch, since, until, out, **kwargs):
    monkeypatch.setenv("HF_ENDPOINT", server.url)
    waits = kwargs.pop("waits", [])
    return fetch_daily_papers(since, until, out, today=TODAY, progress=False, sleep=waits.append, **kwargs)


def test_pages_until_empty_and_writes_the_apis_own_lists(tmp_path, monkeypatch):
    # pages of 7 while 50 are asked for: a short page must not end the day
    with replay_server(page_size=7) as server:
        summary = _fetch(server, monkeypatch, "2024-06-12", "2024-06-14", tmp_path)
    assert summary.written == {"2024-06-13": 21}
    assert summary.empty == ["2024-06-12", "2024-06-14"]
    assert json.loads((tmp_path / "2024-06-13.json").read_text()) == RECORDED["2024-06-13"]
    assert [p for d, p in server.requests if d == "2024-06-13"] == [0, 1, 2, 3]  # 7+7+7, then an empty page
    assert (tmp_path / EMPTY_DAYS).read_text() == "2024-06-12\n2024-06-14\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [EMPTY_DAYS, "2024-06-13.json"]


def test_fetched_days_load_with_the_apis_extra_fields(tmp_path, monkeypatch):
    with replay_server() as server:
        _fetch(server, monkeypatch, "2025-03-14", "2025-03-14", tmp_path)
    papers = load_digests(tmp_path)
    assert len(papers) == 26 and papers["digest"].unique().tolist() == ["2025-03-14"]
    assert (papers["digest_date"] == "2025-03-14").all()
    first = RECORDED["2025-03-14"][0]["paper"]
    row = papers.set_index("paper_id").loc[first["id"]]
    assert row["ai_keywords"] == "; ".join(first["ai_keywords"])
    assert row["upvotes"] == first["upvotes"] and row["num_comments"] == RECORDED["2025-03-14"][0]["numComments"]
    assert row["authors"].split("; ")[0] == first["authors"][0]["name"]


def test_retries_429_with_retry_after_and_503_with_backoff(tmp_path, monkeypatch):
    waits = []
    with replay_server() as server:
        server.faults += [("2024-10-15", 429, {"Retry-After": "7"}), ("2024-10-15", 503, {})]
        summary = _fetch(server, monkeypatch, "2024-10-15", "2024-10-15", tmp_path, waits=waits)
    assert summary.written == {"2024-10-15": 19}
    assert waits == [7.0, 2.0]  # the server's Retry-After, then the second attempt's backoff
    assert json.loads((tmp_path / "2024-10-15.json").read_text()) == RECORDED["2024-10-15"]


def test_interrupted_range_keeps_whole_days_and_a_rerun_resumes_without_asking_again(tmp_path, monkeypatch):
    since, until = "2024-10-14", "2025-03-14"
    with replay_server() as server:
        server.faults += [("2025-03-14", 503, {})] * 4  # more than the retries allow
        with pytest.raises(FetchError, match=r"^2025-03-14: http://127\.0\.0\.1:\d+/api/daily_papers failed 4 times"):
            _fetch(server, monkeypatch, since, until, tmp_path, retries=3)
        assert sorted(p.name for p in tmp_path.glob("*.json")) == ["2024-10-15.json"]
        assert not list(tmp_path.glob(".*.tmp"))  # nothing half-written
        server.requests.clear()
        summary = _fetch(server, monkeypatch, since, until, tmp_path)
    assert summary.written == {"2025-03-14": 26}
    assert {day for day, _ in server.requests} == {"2025-03-14"}  # every other day was complete: not asked again
    assert len(summary.skipped) == (dt.date(2025, 3, 14) - dt.date(2024, 10, 14)).days


def test_today_is_asked_again_and_never_recorded_as_empty(tmp_path, monkeypatch):
    with replay_server() as server:
        _fetch(server, monkeypatch, "2025-07-01", "2025-07-01", tmp_path)
        _fetch(server, monkeypatch, "2025-07-01", "2025-07-01", tmp_path)
    assert server.requests == [("2025-07-01", 0)] * 2
    assert not (tmp_path / EMPTY_DAYS).exists()


def test_other_client_errors_fail_at_once(tmp_path, monkeypatch):
    with replay_server() as server:
        server.faults.append((None, 404, {}))
        with pytest.raises(FetchError, match="answered HTTP 404"):
            _fetch(server, monkeypatch, "2024-06-13", "2024-06-13", tmp_path)
    assert server.requests == [("2024-06-13", 0)] and not any(tmp_path.iterdir())


def test_a_server_that_ignores_pages_ends_the_day(tmp_path, monkeypatch):
    class SamePage(dict):
        def get(self, day, default=None):
            return RECORDED["2025-06-20"] * 100  # every page starts with the same items

    with replay_server(SamePage(), page_size=2) as server:
        summary = _fetch(server, monkeypatch, "2025-06-20", "2025-06-20", tmp_path)
    assert summary.written == {"2025-06-20": 2}


@pytest.mark.parametrize(
    ("since", "until", "message"),
    [
        ("2025-13-01", None, "--since must be a date YYYY-MM-DD, got '2025-13-01'"),
        ("2025-03-01", "yesterday", "--until must be a date YYYY-MM-DD, got 'yesterday'"),
        ("2025-03-02", "2025-03-01", "--since 2025-03-02 is after --until 2025-03-01"),
    ],
)
def test_bad_ranges_are_refused_in_one_line_before_any_request(tmp_path, monkeypatch, capsys, since, until, message):
    out = tmp_path / "out"
    with replay_server() as server:
        monkeypatch.setenv("HF_ENDPOINT", server.url)
        argv = ["fetch", "--since", since, "--out", str(out)] + (["--until", until] if until else [])
        assert main(argv) == 1
    assert capsys.readouterr().err == f"error: {message}\n"
    assert server.requests == [] and not out.exists()


def test_future_until_is_refused():
    with pytest.raises(InputError, match="is in the future"):
        check_range("2025-06-01", "2025-07-02", today=TODAY)


def test_no_network_is_one_line_naming_the_endpoint(tmp_path, monkeypatch, capsys):
    with replay_server() as server:
        url = server.url
    monkeypatch.setenv("HF_ENDPOINT", url)  # the server is gone: the port refuses connections
    assert main(["fetch", "--since", "2025-06-20", "--until", "2025-06-20", "--out", str(tmp_path / "d")]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: cannot reach {url}/api/daily_papers (") and err.count("\n") == 1
    assert not (tmp_path / "d").exists()


def test_cli_fetch_writes_the_days_and_says_so(tmp_path, monkeypatch, capsys):
    with replay_server() as server:
        monkeypatch.setenv("HF_ENDPOINT", server.url)
        assert main(["fetch", "--since", "2025-06-19", "--until", "2025-06-20", "--out", str(tmp_path)]) == 0
    assert capsys.readouterr().out == f"fetched 2 papers in 1 day files; 1 days without papers into {tmp_path}\n"
