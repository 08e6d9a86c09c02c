from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
SEED_A = DATA / "000_b07f67c0449023ce.txt"
SEED_B = DATA / "002_b41ed81a6e990286.txt"


@pytest.fixture(scope="session")
def seed_papers():
    from analysis import load_digests

    return load_digests(DATA)
