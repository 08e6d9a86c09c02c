"""What a run imports: a warm run (every vector cached) loads neither torch nor what BERTopic imports for
features this package does not use (UMAP and numba, Plotly's figure factory), and those stay available."""

import json
import subprocess
import sys

import pandas as pd
import pytest
from helpers import DATA, ROOT

HEAVY = ("torch", "transformers", "umap", "numba", "plotly.figure_factory", "jsonschema")


def _python(code: str) -> dict:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_bertopic_is_imported_without_torch_umap_or_plotting_yet_all_of_it_works():
    seen = _python(
        "import json, sys\n"
        "from analysis._bertopic import bertopic_class\n"
        f"bertopic_class(); loaded = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "import bertopic\n"
        "deferred = type(bertopic.plotting).__name__\n"
        "from bertopic.plotting import visualize_topics\n"
        "from bertopic.plotting._documents import visualize_documents\n"
        "from bertopic.representation import TextGeneration\n"
        "print(json.dumps([loaded, deferred, visualize_topics.__module__, visualize_documents.__module__,\n"
        "    type(bertopic.plotting).__name__, TextGeneration.__module__, 'umap' in sys.modules]))"
    )
    assert seen == [
        [],
        "_DeferredPlotting",
        "bertopic.plotting._topics",
        "bertopic.plotting._documents",
        "module",
        "bertopic.representation._textgeneration",
        True,
    ]


@pytest.mark.slow
def test_a_warm_run_imports_nothing_heavy(seed_result, tmp_path):
    # seed_result filled this session's cache with the seeds' vectors; the run below only reads them
    loaded = _python(
        "import json, sys\n"
        "from analysis.pipeline import run\n"
        f"run([{str(DATA)!r}], {str(tmp_path / 'out')!r}, static=False, log=lambda _: None)\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    assert loaded == []


@pytest.mark.slow
def test_torch_imported_after_bertopic_does_not_load_its_plotting():
    # torch's import asks every loaded module for its file; the deferred plotting package must answer without
    # loading UMAP and numba (6 s of an update, whose month is embedded after the saved model is loaded)
    seen = _python(
        "import json, sys\n"
        "from analysis._bertopic import bertopic_class\n"
        "bertopic_class(); import torch\n"
        "print(json.dumps([m for m in ('umap', 'numba') if m in sys.modules]))"
    )
    assert seen == []


@pytest.mark.slow
def test_a_warm_update_imports_nothing_heavy_and_extends_the_saved_map(seed_result, tmp_path):
    # seed_result cached both seed digests' vectors: the update below embeds nothing and makes no new map
    first, second = sorted(DATA.glob("*.txt"))
    code = (
        "import json, sys\n"
        "from analysis.pipeline import run\n"
        "run([{papers!r}], {out!r}, static=False, log=lambda _: None{model})\n"
        f"print(json.dumps([m for m in {HEAVY!r} + ('sentence_transformers',) if m in sys.modules]))"
    )
    saved = tmp_path / "saved"
    _python(code.format(papers=str(first), out=str(saved), model=""))
    model = f", model_dir={str(saved / 'model')!r}"
    assert _python(code.format(papers=str(second), out=str(tmp_path / "update"), model=model)) == []
    before = pd.read_parquet(saved / "model" / "papers.parquet")
    after = pd.read_parquet(tmp_path / "update" / "model" / "papers.parquet")
    assert len(after) == len(before) + 78
    assert after[["map_x", "map_y"]].iloc[: len(before)].equals(before[["map_x", "map_y"]])
    assert after[["map_x", "map_y"]].notna().all().all()


def test_the_dask_backend_and_the_placement_rule_import_no_stage_of_the_package():
    # one-way: the embedder and the placement hand work to the Dask backend, which knows neither
    loaded = _python(
        "import json, sys, analysis\n"
        "before = set(sys.modules)\n"
        "import analysis.dask_cluster, analysis.geometry\n"
        "print(json.dumps(sorted(m for m in set(sys.modules) - before if m.startswith('analysis.'))))"
    )
    assert loaded == ["analysis.dask_cluster", "analysis.geometry"]
    for module in ("dask_cluster", "geometry"):  # not even inside a function
        source = (ROOT / "analysis" / f"{module}.py").read_text()
        assert "import analysis.embeddings" not in source and "from analysis.embeddings" not in source
