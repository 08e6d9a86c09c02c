"""Every notebook runs top to bottom on the seeds, one on other digests through papermill; none carries outputs."""

import json

import jupytext
import nbformat
import pandas as pd
import pytest
from helpers import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_there_are_numbered_notebooks():
    assert [p.stem[:3] for p in NOTEBOOKS] == ["01_", "02_", "03_", "04_", "05_"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_without_outputs_and_paired(path):
    notebook = json.loads(path.read_text())
    code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    assert all(c["outputs"] == [] and c["execution_count"] is None for c in code)
    assert any("parameters" in c["metadata"].get("tags", []) for c in code)
    paired = jupytext.read(path.with_suffix(".py"))
    assert [c.source for c in paired.cells] == [c.source for c in nbformat.reads(path.read_text(), as_version=4).cells]


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_on_the_seeds(path, tmp_path, monkeypatch):
    import papermill

    out = tmp_path / "executed.ipynb"
    # offline by default: an API address that refuses every connection makes any fetch an error below
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    papermill.execute_notebook(
        str(path),
        str(out),
        parameters={"out_dir": str(tmp_path / "out")},
        cwd=str(path.parent),
        progress_bar=False,
        kernel_name="python3",
    )
    executed = nbformat.read(out, as_version=4)
    outputs = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs]
    assert [o for o in outputs if o.output_type == "error"] == []
    assert any((tmp_path / "out").rglob("*"))
    # every chart is also a PNG, so it shows outside JupyterLab (nbconvert, GitHub, mail)
    charts = [o for o in outputs if "application/vnd.plotly.v1+json" in o.get("data", {})]
    assert charts and all(o["data"]["image/png"] for o in charts)
    streams = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "Warning" not in streams and "Loading weights" not in streams, streams
    assert not [o for o in outputs if o.output_type == "stream" and o.name == "stderr"]  # no red boxes in nbconvert


@pytest.mark.slow
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


@pytest.mark.slow
def test_the_readme_papermill_command_runs_as_written(tmp_path):
    import re
    import subprocess
    import sys
    from pathlib import Path

    readme = (ROOT / "README.md").read_text()
    command = re.search(r"^mkdir -p out && \.venv/bin/papermill .*?\}'$", readme, re.S | re.M).group(0)
    # from a copy of the notebooks and data, with this test's environment as .venv: the repository stays clean
    for folder in ("notebooks", "data"):
        subprocess.run(["cp", "-r", str(ROOT / folder), str(tmp_path / folder)], check=True)
    (tmp_path / ".venv").symlink_to(Path(sys.executable).parent.parent)
    result = subprocess.run(["bash", "-c", command], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    executed = nbformat.read(tmp_path / "out" / "03.ipynb", as_version=4)
    injected = next(c.source for c in executed.cells if "injected-parameters" in c.metadata.get("tags", []))
    assert "seed = 7" in injected and 'data_paths = ["../data"]' in injected
    assert (tmp_path / "out" / "overlap" / "figures" / "topic_sizes.html").is_file()
