"""Shared by the tests in tests/ and the docstring examples in analysis/ (both run by pytest)."""

import pytest


@pytest.fixture(scope="session", autouse=True)
def embedding_cache(tmp_path_factory):
    """One cache (embeddings, the int8 model, maps, images) for the whole session, never the user's own."""
    directory = tmp_path_factory.mktemp("embedding-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ANALYSIS_CACHE_DIR", str(directory))
        yield directory
