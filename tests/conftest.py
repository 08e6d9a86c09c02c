from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
SEED_A = DATA / "000_b07f67c0449023ce.txt"
SEED_B = DATA / "002_b41ed81a6e990286.txt"
# the figures a run on the two seed digests makes, in report order
SEED_FIGURES = [
    "topic_treemap",
    "topic_sizes",
    "digest_topic_heatmap",
    "digest_butterfly",
    "document_map",
    "top_terms",
    "topic_hierarchy",
]


@pytest.fixture(scope="session", autouse=True)
def embedding_cache(tmp_path_factory):
    """One embedding cache for the whole session, never the user's own."""
    directory = tmp_path_factory.mktemp("embedding-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ANALYSIS_CACHE_DIR", str(directory))
        yield directory


@pytest.fixture(scope="session")
def seed_papers():
    from analysis import load_digests

    return load_digests(DATA)


@pytest.fixture(scope="session")
def seed_result(seed_papers):
    from analysis.topics import fit_topics

    return fit_topics(seed_papers, seed=42)
