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
# # 3 · Which themes do the digests share?
#
# Topic sizes by digest, each digest's share of every topic, a test of which topics are distinctive of a
# digest (with q-values), and how similar the digests' topic mixes are.

# %% tags=["parameters"]
data_paths = ["../data"]
seed = 42
out_dir = "../out/notebooks"

# %%
from analysis import fit_topics, load_digests, overlap_tables
from analysis.figures import (
    butterfly,
    similarity_matrix,
    topic_heatmap,
    topic_sizes,
)
from analysis.notebook import use_notebook_renderer
from analysis.overlap import CLASS_RULES

use_notebook_renderer()  # figures also as PNG, so the executed notebook shows them anywhere

result = fit_topics(load_digests(*data_paths), seed=seed)
tables = overlap_tables(result.papers)
n_digests = tables.counts["digest"].nunique()

# %% [markdown]
# ## Topic sizes
# One bar per topic, largest on top, split by digest: the whole bar is the topic's size across digests.

# %%
topic_sizes(tables.counts)

# %% [markdown]
# ## Shares of each digest
# Digests differ in size, so compare shares, not counts: each cell is the share of a digest's papers in a
# topic, with the paper count above it.

# %%
topic_heatmap(tables.counts)

# %% [markdown]
# ## Shared, distinctive and unique themes
# The rules behind the classes:

# %%
print(CLASS_RULES)
tables.classes

# %% [markdown]
# ## Comparing the digests
# With two digests: shares back to back, ★ marking topics whose shares differ (q < 0.05). With three or
# more: the Jensen–Shannon distance between every pair of digests' topic mixes (0 = same mix).

# %%
if n_digests == 2:
    figure = butterfly(tables.counts)
elif n_digests > 2:
    figure = similarity_matrix(tables.similarity)
else:
    figure = "one digest: nothing to compare"
figure

# %% [markdown]
# ## Papers in more than one digest

# %%
tables.shared_papers

# %% [markdown]
# ## Save the figures
# Interactive HTML files to share; `python -m analysis run` also writes PNG and SVG and a full report.

# %%
from pathlib import Path

from analysis.export import write_html

write_html(
    {"topic_sizes": topic_sizes(tables.counts), "digest_topic_heatmap": topic_heatmap(tables.counts)},
    Path(out_dir) / "figures",
)
