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
# # 2 · Themes in the digests
#
# Embeds every abstract (all-MiniLM-L6-v2, cached on disk), clusters them into topics with BERTopic, and
# names each topic with a short phrase taken from its own papers. Then: inspect the topics, rename the ones
# you would call differently, and look at the map of the papers.

# %% tags=["parameters"]
data_paths = ["../data"]
seed = 42
out_dir = "../out/notebooks"

# %%
from analysis import fit_topics, load_digests, relabel_topics
from analysis.figures import document_map, top_terms, topic_hierarchy, topic_treemap
from analysis.notebook import use_notebook_renderer
from analysis.projection import project_2d

use_notebook_renderer()  # figures also as PNG, so the executed notebook shows them anywhere

papers = load_digests(*data_paths)
result = fit_topics(papers, seed=seed)
print(*result.messages, sep="\n")
print(
    f"{len(result.topics)} fine topics in {len(result.broad)} broad topics, counts chosen by {result.granularity.chosen_by}"
)
result.broad[["broad_topic", "label", "size", "n_topics", "stability", "topics"]]

# %% [markdown]
# ## Fine topics and how solid each one is
# `stability` (0–1) is how well the topic comes back when the papers are resampled and the topics refitted:
# above 0.75 it is solid; below 0.5 treat it as one reading of the papers, not a finding.

# %%
result.topics[["topic", "label", "size", "stability", "broad_topic_label", "top_terms"]]

# %%
topic_treemap(result.topics) if len(result.topics) > 1 else "only one topic"

# %% [markdown]
# ## What each topic is about
# Each small chart lists a topic's most specific terms (c-TF-IDF weight): the longer the bar, the more the
# term sets this topic apart from the others.

# %%
top_terms(result.terms)

# %% [markdown]
# ## Representative papers
# The three papers closest to each topic's centre — read them to judge whether the label fits.

# %%
for _, topic in result.topics.iterrows():
    print(f"{topic.topic:>2} {topic.label} ({topic['size']} papers)")
    for title in topic.representative_titles.split(" | "):
        print("     -", title)

# %% [markdown]
# ## Rename topics
# Labels are generated; you know the field. Give `relabel_topics` a `{topic: "new label"}` mapping and
# every table and figure after this cell uses your names. (Left empty here: fill it in for your digests.)

# %%
my_labels = {}
result = relabel_topics(result, my_labels)

# %% [markdown]
# ## Map of the papers
# Each point is a paper placed so that papers with similar abstracts lie close together (t-SNE of
# the embeddings, UMAP from 1,000 papers on); colour is the topic, the marker shape the digest. Hover for the title.

# %%
coords = project_2d(result.embeddings, seed=seed)
document_map(result.papers, coords)

# %% [markdown]
# ## How the topics group
# Topics joined further to the left have more similar papers; this is where to look before merging two.
# Each colour is one broad topic; the dashed line is where the tree is cut into them.

# %%
topic_hierarchy(result.topics, result.centres) if len(result.topics) > 1 else "only one topic"

# %% [markdown]
# ## Save the topics
# Saved topics can place next week's digest without refitting:
# `python -m analysis run new_digest.txt --model OUT_DIR/model --out ...`.

# %%
from analysis import save_topics

save_topics(result, f"{out_dir}/model")
