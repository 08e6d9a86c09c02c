import json
import re
import subprocess
import sys
import warnings

import pandas as pd
import pytest
from helpers import DATA, ROOT, SEED_A, SEED_B

from analysis import DigestError, DigestWarning, load_digests
from analysis.digests import PAPER_COLUMNS, parse_page_text, title_key

ABSTRACT_1 = "We study how large batches change training. Results hold on ImageNet."
ABSTRACT_2 = "A second abstract, about caches. It ends with a period."


# ------------------------------------------------------------------------------------------------ seeds
def test_seeds_exact_counts_and_titles(seed_papers):
    counts = seed_papers.groupby("digest").size().to_dict()
    assert counts == {"000_b07f67": 108, "002_b41ed8": 78}
    assert list(seed_papers.columns[: len(PAPER_COLUMNS)]) == PAPER_COLUMNS
    a = seed_papers[seed_papers.digest == "000_b07f67"]
    b = seed_papers[seed_papers.digest == "002_b41ed8"]
    assert a.title.iloc[0] == "Concurrent Adversarial Learning for Large-Batch Training"
    assert a.title.iloc[-1] == "Fine-Tuning Large Neural Language Models for Biomedical Natural Language Processing"
    assert b.title.iloc[0].startswith("GeMQuAD : Generating Multilingual Question Answering Datasets")
    assert b.title.iloc[-1] == "MLLM-DataEngine: An Iterative Refinement Approach for MLLM"
    assert a.abstract.iloc[0].startswith("Large-batch training has become a commonly used technique")
    assert a.position.tolist() == list(range(1, 109))
    assert b.position.tolist() == list(range(1, 79))


def test_seeds_share_superpipeline_only(seed_papers):
    shared = seed_papers[seed_papers.n_digests > 1]
    assert len(shared) == 2
    assert set(shared.title) == {"Superpipeline: A Universal Approach for Reducing GPU Memory Usage in Large Models"}
    assert shared.paper_id.nunique() == 1
    assert set(shared.digest) == {"000_b07f67", "002_b41ed8"}
    assert seed_papers.paper_id.nunique() == 185


def test_seed_date_line(seed_papers):
    b = seed_papers[seed_papers.digest == "002_b41ed8"]
    assert set(b.digest_date.dt.strftime("%m-%d")) == {"03-17"}
    assert seed_papers[seed_papers.digest == "000_b07f67"].digest_date.isna().all()
    papers = load_digests(SEED_B, year=2024)
    assert set(papers.digest_date) == {pd.Timestamp("2024-03-17")}


def test_directory_equals_sorted_files():
    assert load_digests(DATA).equals(load_digests(SEED_A, SEED_B))


# ------------------------------------------------------------------------------------------ page variants
def _page(papers, *, gap_in_pair=True, wrap=None, header=True, date="Mar 17, 2024", newline="\n"):
    lines = (
        [
            "new",
            "",
            "Get trending papers in your email inbox!",
            "",
            "Subscribe",
            "",
            "Daily Papers",
            "",
            "byAK and the research community",
            "",
        ]
        if header
        else []
    )
    if date:
        lines += [date, ""]
    for title, abstract in papers:
        body = [abstract]
        if wrap:
            import textwrap

            body = textwrap.wrap(abstract, wrap)
        lines += [title] + ([""] if gap_in_pair else []) + body + [""]
    return newline.join(lines) + newline


PAIRS = [
    ("H$_2$O: Heavy-Hitter Oracle for Efficient Generative Inference", ABSTRACT_1),
    ("Caches Are All You Need?", ABSTRACT_2 + " " + "More words here. " * 10),
]


@pytest.mark.parametrize("gap_in_pair", [True, False])
@pytest.mark.parametrize("wrap", [None, 40])
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_page_variants(tmp_path, gap_in_pair, wrap, newline):
    path = tmp_path / "digest.txt"
    path.write_bytes(_page(PAIRS, gap_in_pair=gap_in_pair, wrap=wrap, newline=newline).encode())
    papers = load_digests(path)
    expected = [(t, " ".join(a.split())) for t, a in PAIRS]
    assert list(zip(papers.title, papers.abstract, strict=True)) == expected
    assert papers.digest_date.tolist() == [pd.Timestamp("2024-03-17")] * 2


def test_compact_page_without_blank_lines(tmp_path):
    long_1 = ABSTRACT_1 + " Also more text to make it an unwrapped line of a real abstract length."
    long_2 = ABSTRACT_2 + " Also more text to make it an unwrapped line of a real abstract length."
    path = tmp_path / "compact.txt"
    path.write_text("Daily Papers\nTitle One\n" + long_1 + "\nTitle Two\n" + long_2 + "\n")
    papers = load_digests(path)
    assert papers.title.tolist() == ["Title One", "Title Two"]
    assert papers.abstract.tolist() == [long_1, long_2]


def test_bom_and_cp1252(tmp_path):
    bom = tmp_path / "bom.txt"
    bom.write_bytes(b"\xef\xbb\xbf" + _page(PAIRS[:1], header=False).encode())
    assert load_digests(bom).title.tolist() == [PAIRS[0][0]]
    latin = tmp_path / "latin.txt"
    latin.write_bytes(_page([("Caf\u00e9 na\u00efve \u201cquotes\u201d", ABSTRACT_1)]).encode("cp1252"))
    assert load_digests(latin).title.tolist() == ["Caf\u00e9 na\u00efve \u201cquotes\u201d"]


def test_year_inferred_from_file_name(tmp_path):
    path = tmp_path / "daily-2023-05-02.txt"
    path.write_text(_page(PAIRS[:1], date="Mar 17"))
    assert load_digests(path).digest_date.tolist() == [pd.Timestamp("2023-03-17")]


def test_title_without_abstract_is_skipped_with_warning(tmp_path):
    path = tmp_path / "gap.txt"
    text = _page(PAIRS[:1]) + "Orphan Title Without Abstract\n\n" + _page(PAIRS[1:], header=False, date=None)
    path.write_text(text)
    with pytest.warns(DigestWarning, match=r"gap\.txt:\d+: skipped the title 'Orphan Title Without Abstract'"):
        papers = load_digests(path)
    expected = [(t, " ".join(a.split())) for t, a in PAIRS]
    assert list(zip(papers.title, papers.abstract, strict=True)) == expected


def test_trailing_title_without_abstract_names_its_line(tmp_path):
    path = tmp_path / "tail.txt"
    path.write_text(_page(PAIRS, header=False, date=None) + "Last Title\n")
    with pytest.warns(DigestWarning, match=r"tail\.txt:9: skipped the title 'Last Title'"):
        assert len(load_digests(path)) == 2


def test_parse_page_text_doc_example():
    papers, date = parse_page_text("Daily Papers\nMar 17, 2024\n\nA Title\n\nIts abstract.\n")
    assert [(p.title, p.abstract, p.line) for p in papers] == [("A Title", "Its abstract.", 4)]


# ------------------------------------------------------------------------------------------------ formats
def _api_item(arxiv_id, title, summary, day="2025-06-20T04:32:59.096Z"):
    return {
        "paper": {
            "id": arxiv_id,
            "title": title,
            "summary": summary,
            "publishedAt": "2025-06-18T05:51:36Z",
            "upvotes": 3,
            "authors": [{"name": "A. Author"}, {"name": "B. Author"}],
            "submittedOnDailyAt": day,
        },
        "title": title,
        "publishedAt": "2025-06-18T05:51:36Z",
        "numComments": 1,
    }


def test_api_json(tmp_path):
    path = tmp_path / "api.json"
    items = [
        _api_item("2506.15154", "SonicVerse: Multi-Task\n  Learning", "Detailed captions\nthat reflect music."),
        _api_item("2506.00001", "Second", "Another summary."),
    ]
    path.write_text(json.dumps(items))
    papers = load_digests(path)
    assert papers.paper_id.tolist() == ["2506.15154", "2506.00001"]
    assert papers.title.tolist() == ["SonicVerse: Multi-Task Learning", "Second"]
    assert papers.abstract.iloc[0] == "Detailed captions that reflect music."
    assert papers.digest.tolist() == ["api", "api"]
    assert papers.digest_date.tolist() == [pd.Timestamp("2025-06-20")] * 2
    assert papers.authors.iloc[0] == "A. Author; B. Author"


def test_api_json_date_from_file_name(tmp_path):
    path = tmp_path / "2024-06-13.json"
    path.write_text(json.dumps([_api_item("2406.1", "T", "S.")]))
    assert load_digests(path).digest_date.tolist() == [pd.Timestamp("2024-06-13")]


def test_csv_with_extra_columns_and_case_insensitive_names(tmp_path):
    path = tmp_path / "table.csv"
    pd.DataFrame(
        {
            "Title": ["One", "Two"],
            "SUMMARY": ["Abs one.", "Abs two."],
            "arxiv_id": ["2401.00001v2", ""],
            "venue": ["ICML", "NeurIPS"],
        }
    ).to_csv(path, index=False)
    papers = load_digests(path)
    assert papers.columns.tolist() == PAPER_COLUMNS + ["venue"]
    assert papers.title.tolist() == ["One", "Two"]
    assert papers.abstract.tolist() == ["Abs one.", "Abs two."]
    assert papers.paper_id.tolist() == ["2401.00001", title_key("Two")]
    assert papers.digest.tolist() == ["table", "table"]
    assert papers.venue.tolist() == ["ICML", "NeurIPS"]


def test_jsonl_with_digest_and_date_columns(tmp_path):
    path = tmp_path / "many.jsonl"
    rows = [
        {"title": "A", "abstract": "a.", "digest": "week1", "date": "2025-01-06"},
        {"title": "B", "abstract": "b.", "digest": "week2", "date": "2025-01-13"},
        {"title": "A", "abstract": "a.", "digest": "week2", "date": "2025-01-13"},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    papers = load_digests(path)
    assert papers.digest.tolist() == ["week1", "week2", "week2"]
    assert papers.position.tolist() == [1, 1, 2]
    assert papers.n_digests.tolist() == [2, 1, 2]
    assert papers.digest_date.dt.strftime("%Y-%m-%d").tolist() == ["2025-01-06", "2025-01-13", "2025-01-13"]


def test_parquet(tmp_path):
    path = tmp_path / "t.parquet"
    pd.DataFrame({"title": ["P"], "abstract": ["Q."], "id": ["2501.12345"], "score": [1.5]}).to_parquet(path)
    papers = load_digests(path)
    assert papers.paper_id.tolist() == ["2501.12345"] and papers.score.tolist() == [1.5]


def test_same_paper_by_id_and_by_title_shares_the_arxiv_id(tmp_path):
    (tmp_path / "a.csv").write_text("title,abstract,arxiv_id\nShared Paper,Abs.,2401.00001\n")
    (tmp_path / "b.txt").write_text("Shared Paper\n\nAbs.\n")
    papers = load_digests(tmp_path)
    assert papers.paper_id.tolist() == ["2401.00001", "2401.00001"]
    assert papers.n_digests.tolist() == [2, 2]


def test_table_row_without_abstract_is_skipped(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("title,abstract\nGood,Fine abstract.\nNo Abstract,\n")
    with pytest.warns(DigestWarning, match=r"t\.csv:3: skipped the paper 'No Abstract': it has no abstract"):
        papers = load_digests(path)
    assert papers.title.tolist() == ["Good"]


# -------------------------------------------------------------------------------------------- bad input
BAD_INPUTS = {
    "empty.txt": (b"", r"empty\.txt: the file is empty"),
    "blank.txt": (b"\n\n  \n", r"blank\.txt: the file is empty"),
    "header.txt": (b"new\n\nSubscribe\n\nDaily Papers\n\nMar 17\n", r"header\.txt: no papers found"),
    "binary.txt": (bytes(range(256)) * 4, r"binary\.txt: this is a binary file"),
    "cut.json": (b'[{"paper": {"id": "1", "title": "T",\n "summary": "S"', r"cut\.json:2: invalid JSON"),
    "cut.jsonl": (
        b'{"title": "A", "abstract": "a"}\n{"title": "B", "abs',
        r"cut\.jsonl:2: invalid JSON line",
    ),
    "cols.csv": (
        b"name,text\nA,b\n",
        r"cols\.csv: no title or abstract column \(columns found: name, text\)",
    ),
    "noabs.csv": (b"title,notes\nA,b\n", r"noabs\.csv: no abstract column"),
    "broken.parquet": (b"PAR1 not really", r"broken\.parquet: cannot read Parquet"),
    "only_titles.txt": (b"Title One\n\nTitle Two\n", r"only_titles\.txt: no papers found"),
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_input_is_refused_naming_the_file(tmp_path, name):
    content, message = BAD_INPUTS[name]
    path = tmp_path / name
    path.write_bytes(content)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DigestWarning)
        with pytest.raises(DigestError, match=message):
            load_digests(path)


def test_missing_path_and_empty_directory(tmp_path):
    with pytest.raises(DigestError, match=r"nope\.txt: no such file or directory"):
        load_digests(tmp_path / "nope.txt")
    with pytest.raises(DigestError, match=r"no digest files in this directory"):
        load_digests(tmp_path)


# -------------------------------------------------------------------------------------------------- CLI
def _cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "analysis", *map(str, args)], capture_output=True, text=True, cwd=cwd)


def test_cli_load_writes_186_rows(tmp_path):
    out = tmp_path / "papers.csv"
    result = _cli("load", DATA, "--out", out)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"wrote 186 papers from 2 digests to {out}"
    frame = pd.read_csv(out)
    assert len(frame) == 186 and frame.columns.tolist() == PAPER_COLUMNS
    parquet = tmp_path / "papers.parquet"
    assert _cli("load", DATA, "--out", parquet).returncode == 0
    assert len(pd.read_parquet(parquet)) == 186


@pytest.mark.parametrize("name", ["empty.txt", "cut.json", "cols.csv", "binary.txt"])
def test_cli_refuses_bad_input_with_one_line_and_no_output(tmp_path, name):
    content, message = BAD_INPUTS[name]
    bad = tmp_path / name
    bad.write_bytes(content)
    out = tmp_path / "out" / "papers.csv"
    result = _cli("load", DATA, bad, "--out", out)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert "Traceback" not in result.stderr
    assert re.search(message, lines[0])
    assert not out.parent.exists() or not any(out.parent.iterdir())


def test_cli_warns_in_one_line(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("title,abstract\nGood,Fine abstract.\nNo Abstract,\n")
    result = _cli("load", path, "--out", tmp_path / "p.csv")
    assert result.returncode == 0
    assert result.stderr.strip() == f"warning: {path}:3: skipped the paper 'No Abstract': it has no abstract"


def test_cli_help_lists_commands():
    result = _cli("--help")
    assert result.returncode == 0 and "load" in result.stdout
    result = _cli("load", "--help")
    assert "--out" in result.stdout and "Example: python -m analysis load data/" in result.stdout


def test_gzipped_jsonl(tmp_path):
    import gzip

    path = tmp_path / "corpus.jsonl.gz"
    path.write_bytes(gzip.compress(b'{"title": "A", "abstract": "a.", "id": "2501.00001"}\n'))
    papers = load_digests(path)
    assert papers[["digest", "paper_id", "title"]].values.tolist() == [["corpus", "2501.00001", "A"]]
    (tmp_path / "bad.csv.gz").write_bytes(b"not gzip")
    with pytest.raises(DigestError, match=r"bad\.csv\.gz: cannot decompress"):
        load_digests(tmp_path / "bad.csv.gz")


def test_a_date_line_without_a_year_is_read_against_today(tmp_path):
    import datetime as dt

    page = tmp_path / "page.txt"
    page.write_text("Daily Papers\nDec 30\n\nA Title\n\nIts abstract, one sentence.\n")
    dates = {
        today: load_digests(page, today=dt.date(*today))["digest_date"].iloc[0].date()
        for today in [(2026, 1, 5), (2026, 12, 30), (2026, 12, 29)]
    }
    assert dates == {
        (2026, 1, 5): dt.date(2025, 12, 30),  # the latest Dec 30 not after today
        (2026, 12, 30): dt.date(2026, 12, 30),
        (2026, 12, 29): dt.date(2025, 12, 30),
    }
    given = load_digests(page, year=2024, today=dt.date(2026, 1, 5))["digest_date"].iloc[0]
    assert given.date() == dt.date(2024, 12, 30)


def test_a_table_with_title_and_Title_columns_reads_the_exact_one(tmp_path):
    # found by tests/test_digests_fuzz.py: both renamed to "title" gave a frame pandas could not index
    path = tmp_path / "two.csv"
    path.write_text("Title,title,Abstract,abstract\nShown,Used,Kept aside.,The abstract used.\n")
    papers = load_digests(path)
    assert papers[["title", "abstract", "Title", "Abstract"]].values.tolist() == [
        ["Used", "The abstract used.", "Shown", "Kept aside."]
    ]


def test_a_bug_while_reading_parquet_is_not_called_a_broken_file(tmp_path, monkeypatch):
    path = tmp_path / "fine.parquet"
    pd.DataFrame({"title": ["A"], "abstract": ["a"]}).to_parquet(path)

    def broken(*args, **kwargs):
        raise TypeError("a bug in the reader")

    monkeypatch.setattr(pd, "read_parquet", broken)
    with pytest.raises(TypeError, match="a bug in the reader"):
        load_digests(path)
