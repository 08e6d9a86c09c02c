import pytest
from helpers import DATA


@pytest.fixture(scope="session")
def seed_papers():
    from analysis import load_digests

    return load_digests(DATA)


@pytest.fixture(scope="session")
def seed_result(seed_papers):
    from analysis.topics import fit_topics

    return fit_topics(seed_papers, seed=42)
