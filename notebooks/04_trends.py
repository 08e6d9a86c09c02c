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
# # 4 · Which themes are rising, and which are fading?
#
# For dated digests: every paper gets a period from its digest's date, and each topic's *share* of each
# period's papers is tested for a trend — a quasi-binomial GLM weighted by the period's papers, so busy and
# quiet periods do not read as trends, with Benjamini–Hochberg q-values over topics. By default this runs on
# the bundled year of Hugging Face Daily Papers (`examples/`, 1,200 papers, June 2024 – May 2025).

# %% tags=["parameters"]
data_paths = ["../examples"]
seed = 42
period = "auto"
out_dir = "../out/notebooks"

# %%
from analysis import fit_topics, load_digests
from analysis.notebook import use_notebook_renderer
from analysis.trends import TREND_RULES, assign_periods, period_table, period_unit, topic_trends

use_notebook_renderer()  # figures also as PNG, so the executed notebook shows them anywhere

result = fit_topics(load_digests(*data_paths), seed=seed)
papers = assign_periods(result.papers, period)
print(f"{len(papers)} papers, periods: {period_unit(papers['period'])}s")
period_table(papers)

# %% [markdown]
# ## The answer first
# Topics whose share changed beyond the period-to-period noise, with the odds ratio of the share per year
# (and its 95% interval) and the share in the first and the last third of the span. The rules:

# %%
trends = topic_trends(papers)
print(trends.summary())
print(TREND_RULES)
columns = ["label", "trend", "odds_ratio_per_year", "or_low", "or_high", "share_first", "share_last", "q_value"]
trends.table.loc[trends.table["trend"] != "steady", columns]

# %% [markdown]
# ## Every topic over time
# One panel per topic, significant trends first: the topic's share of each period's papers (dots, larger for
# busier periods), the fitted trend and its 95% band. Grey panels are steady: their wiggles are noise.

# %%
from analysis.figures import topic_heatmap, topics_over_time, trend_changes

topics_over_time(trends)

# %% [markdown]
# ## Ranked change
# The effect size of every topic with its interval, on a log axis: right of 1 the topic's share grows.
# Filled markers are the significant trends.

# %%
trend_changes(trends)

# %% [markdown]
# ## Period × topic shares
# The raw material of the tests: each period's papers split by topic.

# %%
topic_heatmap(trends.shares, unit_name=trends.unit)

# %% [markdown]
# ## Key papers of the trending topics
# The papers closest to each trending topic's centre.

# %%
topics = result.topics.set_index("topic")
for row in trends.table[trends.table["trend"] != "steady"].itertuples():
    print(f"{row.trend}: {row.label}")
    for title in topics.at[row.topic, "representative_titles"].split(" | "):
        print(f"    {title}")

# %% [markdown]
# ## Save the tables and figures

# %%
from pathlib import Path

from analysis.export import write_html

Path(out_dir).mkdir(parents=True, exist_ok=True)
trends.table.to_csv(Path(out_dir) / "trends.csv", index=False)
write_html(
    {"topics_over_time": topics_over_time(trends), "trend_changes": trend_changes(trends)}, Path(out_dir) / "figures"
)
