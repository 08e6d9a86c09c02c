"""Every notebook runs top to bottom on the seeds, one on other digests through papermill; none carries outputs."""

import json

import jupytext
import nbformat
import pandas as pd
import pytest
from conftest import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_there_are_numbered_notebooks():
    assert [p.stem[:3] for p in NOTEBOOKS] == ["01_", "02_", "03_", "04_"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_without_outputs_and_paired(path):
    notebook = json.loads(path.read_text())
    code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    assert all(c["outputs"] == [] and c["execution_count"] is None for c in code)
    assert any("parameters" in c["metadata"].get("tags", []) for c in code)
    paired = jupytext.read(path.with_suffix(".py"))
    assert [c.source for c in paired.cells] == [c.source for c in nbformat.reads(path.read_text(), as_version=4).cells]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_on_the_seeds(path, tmp_path):
    import papermill

    out = tmp_path / "executed.ipynb"
    papermill.execute_notebook(
        str(path),
        str(out),
        parameters={"out_dir": str(tmp_path / "out")},
        cwd=str(path.parent),
        progress_bar=False,
        kernel_name="python3",
    )
    executed = nbformat.read(out, as_version=4)
    errors = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert errors == []
    assert any((tmp_path / "out").rglob("*"))


def test_papermill_runs_a_notebook_on_other_digests(tmp_path):
    import papermill

    digest = tmp_path / "week.csv"
    pd.DataFrame(
        {
            "title": [f"Paper {i} on {t}" for i, t in enumerate(["graphs", "proteins", "graphs"] * 3)],
            "abstract": [
                f"We study {t} with neural networks, experiment {i}."
                for i, t in enumerate(["graph learning", "protein folding", "graph learning"] * 3)
            ],
        }
    ).to_csv(digest, index=False)
    out = tmp_path / "executed.ipynb"
    papermill.execute_notebook(
        str(ROOT / "notebooks" / "01_load_digests.ipynb"),
        str(out),
        parameters={"data_paths": [str(digest)], "out_dir": str(tmp_path / "out")},
        cwd=str(ROOT / "notebooks"),
        progress_bar=False,
        kernel_name="python3",
    )
    written = pd.read_csv(tmp_path / "out" / "papers.csv")
    assert len(written) == 9 and set(written["digest"]) == {"week"}
