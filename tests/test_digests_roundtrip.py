"""Property: random papers rendered as a Daily Papers page, in any supported layout, parse back unchanged."""

import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis import load_digests

WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyzéü0123456789$_-", min_size=1, max_size=12)
CAPITAL = st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ")


@st.composite
def titles(draw):
    words = draw(st.lists(WORD, min_size=2, max_size=14))
    end = draw(st.sampled_from(["", "?", ":", " (LLM)"]))
    return draw(CAPITAL) + " ".join(words) + end


@st.composite
def abstracts(draw):
    sentences = draw(st.lists(st.lists(WORD, min_size=4, max_size=25), min_size=2, max_size=8))
    text = " ".join(draw(CAPITAL) + " ".join(words) + "." for words in sentences)
    while len(text) <= 120:  # real abstracts are longer than a wrapped line; the compact layout relies on it
        text += " Padding words that make the abstract longer."
    return text


@st.composite
def pages(draw):
    papers = draw(st.lists(st.tuples(titles(), abstracts()), min_size=1, max_size=6))
    layout = draw(st.sampled_from(["blank-between", "adjacent", "compact"]))
    wrap = None if layout == "compact" else draw(st.sampled_from([None, 60, 72, 80, 100]))
    header = draw(
        st.sampled_from(
            [
                [],
                ["new", "Subscribe", "Daily Papers", "by AK and the research community"],
                ["Get trending papers in your email inbox!", "byAK and the research community"],
            ]
        )
    )
    date = draw(st.sampled_from([[], ["Mar 17"], ["Jun 3, 2024"]]))
    gap = "" if layout == "compact" else "\n"
    blocks = []
    for title, abstract in papers:
        body = "\n".join(
            textwrap.wrap(abstract, wrap, break_on_hyphens=False, break_long_words=False) if wrap else [abstract]
        )
        blocks.append(title + ("\n\n" if layout == "blank-between" else "\n") + body)
    text = (gap + "\n").join(header + date + blocks) + "\n"
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
    return papers, text.replace("\n", newline).encode(encoding)


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(pages())
def test_rendered_page_parses_back_unchanged(tmp_path_factory, page):
    papers, data = page
    path = tmp_path_factory.mktemp("page") / "digest.txt"
    path.write_bytes(data)
    frame = load_digests(path)
    assert list(zip(frame.title, frame.abstract, strict=True)) == papers
