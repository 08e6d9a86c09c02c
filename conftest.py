"""Shared by the tests in tests/ and the docstring examples in analysis/ (both run by pytest)."""

import pytest


@pytest.fixture(scope="session", autouse=True)
def embedding_cache(tmp_path_factory):
    """One cache (embeddings, the int8 model, maps, images) for the whole session, never the user's own.

    The tests embed in fp32, the reference arithmetic (``ANALYSIS_PRECISION``, which ``auto`` follows), so that
    their exact counts and labels hold on every CPU: int8 vectors differ between CPUs with and without VNNI. The
    int8 path has tests of its own, which ask for it by name."""
    directory = tmp_path_factory.mktemp("embedding-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ANALYSIS_CACHE_DIR", str(directory))
        patch.setenv("ANALYSIS_PRECISION", "fp32")
        yield directory
