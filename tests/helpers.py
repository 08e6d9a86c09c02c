"""Paths and names the tests share (a module of its own: importing from conftest is fragile)."""

from pathlib import Path

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
