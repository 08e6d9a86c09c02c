# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 5 · A living review: fetch the new month, add it to the saved themes, see what is new
#
# A trend review is kept going: each month you fetch the new Daily Papers, place them onto the themes you
# saved (so every theme keeps its name), and read first **what is new since last time**, then how the themes
# moved over the whole span. This notebook walks that loop once: the saved review is the bundled year of Daily
# Papers (`examples/`, June 2024 – May 2025); the month added is June 2025. Offline by default: that month is
# bundled beside this notebook (`recorded_2025-06/`, 100 papers of the same public archive in the API's own
# format, one file per day, as `fetch` writes them). Set `fetch = True` (or `hf_endpoint`) to fetch it instead.

# %% tags=["parameters"]
saved_paths = ["../examples"]  # the review so far
since, until = "2025-06-01", "2025-06-30"  # the month to add
fetch = False  # True: fetch the month from the Daily Papers API; False: read the bundled recorded month
hf_endpoint = None  # the API's address (implies fetch); None: $HF_ENDPOINT, else https://huggingface.co
recorded = "recorded_2025-06"  # the bundled month, read when not fetching
seed = 42
out_dir = "../out/notebooks"

# %%
import os
from pathlib import Path

from analysis.notebook import use_notebook_renderer
from analysis.pipeline import run

use_notebook_renderer()  # figures also as PNG, so the executed notebook shows them anywhere
out = Path(out_dir) / "living_review"
if hf_endpoint:
    os.environ["HF_ENDPOINT"] = hf_endpoint

# %% [markdown]
# ## 1 · The review so far
# Fitted once; its `model/` keeps the topics *and* the table of the papers they were fitted on.

# %%
review = run(saved_paths, out / "review", seed=seed, static=False)
review.topics[["topic", "label", "size"]]

# %% [markdown]
# ## 2 · The month: fetched, or the bundled recording
# `fetch` writes one JSON file per day, page by page; a rerun asks nothing for the days it already has.

# %%
if fetch or hf_endpoint:
    from analysis.fetch import fetch_daily_papers

    month = out / "daily"
    print(fetch_daily_papers(since, until, month, progress=False))
else:
    month = Path(recorded)
    print(f"the recorded month: {month}/ (no network)")
sorted(p.name for p in month.glob("*.json"))

# %% [markdown]
# ## 3 · Add it to the saved themes
# The new papers are placed onto the saved topics and reported together with the saved ones (`is_new` tells
# them apart). `adopt=True` would also write a model in which the new themes are topics.

# %%
update = run([month], out / "update", model_dir=out / "review" / "model", seed=seed, static=False)
update.papers.groupby("is_new").size()

# %% [markdown]
# ## 4 · What is new
# A new theme is a group of papers, found among the saved and the new papers together without looking at which
# are new, that holds more new papers than chance allows (Fisher's exact test, Benjamini–Hochberg over every
# group), at least 10 of them, and at least four times its share before. The rules, then the themes (an empty
# table is an answer: nothing new stood out):

# %%
from analysis.new_themes import NEW_THEME_RULES

print(NEW_THEME_RULES)
columns = ["label", "size", "new_papers", "rate_ratio", "ratio_low", "ratio_high", "q_value", "nearest_topic_label"]
update.new_themes[columns]

# %% [markdown]
# ## 5 · Trends over the whole span
# The trend tests run over the saved months and the new one; the new month is shaded.

# %%
if update.trends is not None:
    print(update.trends.summary())
    figure = update.figures["topics_over_time"]
else:
    figure = update.figures["topic_sizes"]
figure
