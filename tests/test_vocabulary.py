import subprocess
import sys

import numpy as np
import pytest
from sklearn.feature_extraction.text import CountVectorizer

from analysis import vocabulary
from analysis.labels import STOP_WORDS
from analysis.terms import TOKEN_PATTERN
from analysis.vocabulary import FrequentTermsVectorizer

OPTIONS = {"stop_words": sorted(STOP_WORDS), "ngram_range": (1, 3), "token_pattern": TOKEN_PATTERN}


def _topic_documents(seed_papers, n_topics=6):
    texts = (seed_papers["title"] + ". " + seed_papers["abstract"]).tolist()
    return [" ".join(texts[k::n_topics]) for k in range(n_topics)]  # as BERTopic joins a topic's papers


def _same(documents, **options):
    expected = CountVectorizer(**OPTIONS, **options)
    found = FrequentTermsVectorizer(**OPTIONS, **options)
    a, b = expected.fit_transform(documents), found.fit_transform(documents)
    assert found.vocabulary_ == expected.vocabulary_
    assert a.dtype == b.dtype and a.shape == b.shape and (a != b).nnz == 0
    assert (found.transform(documents) != a).nnz == 0
    return found


@pytest.mark.parametrize("min_df", [2, 3, 5])
def test_the_vocabulary_and_counts_are_countvectorizers(seed_papers, min_df):
    found = _same(_topic_documents(seed_papers), min_df=min_df)
    assert len(found.vocabulary_) > 100  # a real vocabulary, pruned
    assert _same(_topic_documents(seed_papers), min_df=min_df, binary=True).binary


def test_collisions_never_change_the_result(seed_papers, monkeypatch):
    # 16 buckets: nearly every term passes the hashed pass by collision; the exact count still decides
    monkeypatch.setattr(vocabulary, "_table_bits", lambda documents: 4)
    _same(_topic_documents(seed_papers), min_df=2)


@pytest.mark.slow
def test_the_result_does_not_depend_on_the_hash_seed(seed_papers, tmp_path):
    documents = _topic_documents(seed_papers)
    path = tmp_path / "documents.txt"
    path.write_text("\n".join(documents))
    code = (
        "import hashlib, sys; from analysis.vocabulary import FrequentTermsVectorizer; "
        "from tests.test_vocabulary import OPTIONS; "
        f"docs = open({str(path)!r}).read().split('\\n'); v = FrequentTermsVectorizer(**OPTIONS, min_df=2); "
        "x = v.fit_transform(docs); "
        "print(hashlib.sha256(repr((sorted(v.vocabulary_.items()), x.indices.tolist(), x.data.tolist())).encode())"
        ".hexdigest())"
    )
    digests = {
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True,
            env={"PYTHONHASHSEED": str(seed), "PATH": ""}, cwd=str(vocabulary.__file__).rsplit("/analysis/", 1)[0],
        ).stdout
        for seed in (0, 1, 2)
    }  # fmt: skip
    assert len(digests) == 1 and len(next(iter(digests))) == 65


@pytest.mark.slow
def test_what_the_bounded_fit_does_not_cover_is_countvectorizer(seed_papers):
    documents = _topic_documents(seed_papers)
    _same(documents, min_df=1)
    _same(documents, min_df=0.2)  # a share, not a count
    _same(documents, min_df=2, max_df=0.9)
    _same(documents * 150, min_df=300)  # beyond the 8-bit counters
    with pytest.raises(ValueError, match="no terms remain"):
        FrequentTermsVectorizer(**OPTIONS, min_df=2).fit_transform(["one lonely abstract about kv caches"])
    with pytest.raises(ValueError, match="Iterable over raw text documents expected"):
        FrequentTermsVectorizer(**OPTIONS, min_df=2).fit_transform("a string, not documents")
    assert np.array_equal(
        FrequentTermsVectorizer(**OPTIONS, min_df=2).fit(documents).get_feature_names_out(),
        CountVectorizer(**OPTIONS, min_df=2).fit(documents).get_feature_names_out(),
    )


def test_a_callable_analyzer_and_binary_counts_as_the_labels_use_them(seed_papers):
    from analysis.labels import _ngrams

    texts = (seed_papers["title"] + ". " + seed_papers["abstract"]).tolist()
    expected = CountVectorizer(analyzer=_ngrams, binary=True, min_df=2)
    found = FrequentTermsVectorizer(analyzer=_ngrams, binary=True, min_df=2)
    a, b = expected.fit_transform(texts), found.fit_transform(texts)
    assert found.vocabulary_ == expected.vocabulary_ and len(found.vocabulary_) > 1000
    assert (a != b).nnz == 0 and b.max() == 1
