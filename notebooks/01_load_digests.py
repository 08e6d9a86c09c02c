# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 1 · What is in the digests?
#
# Loads every digest into one tidy table — one row per paper per digest — and looks at what we have:
# how many papers each digest holds, how long the abstracts are, and which papers appear in more than one
# digest. Change the parameters cell (or pass parameters with papermill) to look at other digests.

# %% tags=["parameters"]
data_paths = ["../data"]
seed = 42
out_dir = "../out/notebooks"

# %%
import plotly.express as px

from analysis import load_digests
from analysis.notebook import use_notebook_renderer

use_notebook_renderer()  # figures also as PNG, so the executed notebook shows them anywhere

papers = load_digests(*data_paths)
papers.head()

# %% [markdown]
# ## Papers per digest
# `position` is the paper's place in its digest; `digest_date` comes from a date line on the page, a date
# in the file name, or a date column.

# %%
per_digest = papers.groupby("digest", sort=False).agg(
    papers=("paper_id", "size"), first_date=("digest_date", "min"), shared=("n_digests", lambda n: int((n > 1).sum()))
)
per_digest

# %% [markdown]
# ## How long are the abstracts?
# Each bar counts abstracts of a given length in words, coloured by digest. Very short abstracts (a few
# words) usually mean a page was copied incompletely.

# %%
lengths = papers.assign(abstract_words=papers["abstract"].str.split().str.len())
px.histogram(
    lengths,
    x="abstract_words",
    color="digest",
    barmode="overlay",
    nbins=40,
    title="Abstract length in words",
    template="plotly_white",
)

# %% [markdown]
# ## Papers in more than one digest
# The same paper keeps one `paper_id` (its arXiv id, or a hash of its title) across digests;
# `n_digests` says in how many it appears.

# %%
papers.loc[papers["n_digests"] > 1, ["paper_id", "title", "digest", "position"]].sort_values("paper_id")

# %% [markdown]
# ## Save the table
# The same table `python -m analysis load` writes, for use elsewhere.

# %%
from pathlib import Path

Path(out_dir).mkdir(parents=True, exist_ok=True)
papers.to_csv(Path(out_dir) / "papers.csv", index=False)
