"""Property: whatever bytes a digest file holds, in any supported format, loading it gives a papers frame or a
:class:`DigestError` naming the file, never another exception (10,000 generated files in all)."""

import gzip
import json
import warnings

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis import DigestError, load_digests
from analysis.digests import PAPER_COLUMNS

FORMATS = [".txt", ".md", ".csv", ".tsv", ".json", ".jsonl", ".parquet", ".txt.gz", ".jsonl.gz"]
EXAMPLES = 10_000 // 4  # per strategy below

FIELD = st.one_of(st.text(max_size=40), st.integers(), st.floats(allow_nan=True), st.none(), st.booleans())
COLUMNS = st.sampled_from(["title", "abstract", "Title", "summary", "date", "digest_date", "arxiv_id", "x", ""])
JSON_VALUE = st.recursive(
    FIELD, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(COLUMNS, inner, max_size=4)
)
LINE = st.one_of(
    st.text(max_size=80),
    st.sampled_from(["", "Daily Papers", "new", "Subscribe", "Mar 17", "Feb 30", "Jun 3, 2024", "Dec 31, 99999"]),
    st.from_regex(r"[A-Z][a-z ]{0,60}[.?]?", fullmatch=True),
)


def _rows_as_table(rows: list[dict], suffix: str) -> bytes:
    frame = pd.DataFrame(rows)
    if suffix == ".parquet":
        try:
            return frame.astype(str).to_parquet(index=False)
        except (ValueError, TypeError):  # e.g. an empty column name: write garbage instead
            return b"PAR1garbage"
    separator = "\t" if suffix == ".tsv" else ","
    return frame.to_csv(index=False, sep=separator).encode()


@st.composite
def files(draw, kind: str):
    suffix = draw(st.sampled_from(FORMATS))
    base = suffix.removesuffix(".gz")
    if kind == "bytes":
        data = draw(st.binary(max_size=400))
    elif kind == "text":
        data = draw(st.text(max_size=400)).encode(draw(st.sampled_from(["utf-8", "utf-16", "utf-8-sig"])), "replace")
    elif kind == "lines":
        data = "\n".join(draw(st.lists(LINE, max_size=20))).encode()
    else:  # structured: JSON values or rows with paper-like columns
        rows = draw(st.lists(st.dictionaries(COLUMNS, FIELD, max_size=5), max_size=6))
        if base == ".json":
            data = json.dumps(draw(st.one_of(JSON_VALUE, st.just(rows))), default=str).encode()
        elif base == ".jsonl":
            data = "\n".join(json.dumps(v, default=str) for v in draw(st.lists(JSON_VALUE, max_size=6))).encode()
        elif base in {".csv", ".tsv", ".parquet"}:
            data = _rows_as_table(rows, base)
        else:
            data = "\n\n".join(f"{r.get('title', '')}\n{r.get('abstract', '')}" for r in rows).encode()
    if suffix.endswith(".gz") and draw(st.booleans()):
        data = gzip.compress(data, mtime=0)
    return suffix, data


def _load_or_digest_error(folder, suffix: str, data: bytes) -> None:
    path = folder / f"digest{suffix}"
    path.write_bytes(data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            frame = load_digests(path)
    except DigestError as error:
        assert str(error).startswith(str(path)) and "\n" not in str(error)
        return
    assert list(frame.columns[: len(PAPER_COLUMNS)]) == list(PAPER_COLUMNS) and len(frame) >= 1
    assert frame["title"].str.len().gt(0).all() and frame["abstract"].str.len().gt(0).all()


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["bytes", "text", "lines", "structured"])
def test_any_file_loads_or_fails_with_a_digest_error(kind, tmp_path_factory):
    folder = tmp_path_factory.mktemp(f"fuzz-{kind}")

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
        database=None,
        derandomize=True,
    )
    @given(files(kind))
    def check(file):
        _load_or_digest_error(folder, *file)

    check()
