"""Updates keep the history: a month placed onto a saved review is reported with the saved months, a planted
new subject comes first as a new theme, a month without one has none, and adopted themes are tracked next time.

Real Daily Papers (examples/, Apache-2.0). The saved review: June - November 2024 without its robotics papers and
without 100 papers drawn at random from those months. The update, listed in December 2024: those 100 papers (a
month like the saved ones: nothing new by construction, since real later months do bring new subjects, such as
reasoning models in December 2024), and once more with 20 robotics papers from later months in place of 10 of
them (about 18% of the update)."""

import html

import numpy as np
import pandas as pd
import pytest
from helpers import ROOT

from analysis.errors import InputError
from analysis.pipeline import run
from analysis.topics import load_topics

SUBJECT = r"(?i)\b(?:robot|robotic|robots|embodied)\b"


def _quiet(_message):
    pass


def _in_december(frame: pd.DataFrame) -> pd.DataFrame:
    """The papers listed on the same day of December 2024 instead."""
    days = "2024-12-" + frame["digest_date"].str[8:10]
    return frame.assign(digest_date=days, digest=days)


@pytest.fixture(scope="module")
def review(tmp_path_factory):
    """The saved review (a run's out directory), the update files and the planted papers' ids."""
    folder = tmp_path_factory.mktemp("review")
    papers = pd.read_csv(ROOT / "examples" / "daily_papers_2024-06_2025-05.csv.gz", dtype=str)
    month = papers["digest_date"].str[:7]
    subject = papers["title"].str.contains(SUBJECT) | papers["abstract"].str.contains(SUBJECT)
    pool = papers[(month <= "2024-11") & ~subject]
    held_out = pool.sample(100, random_state=0)
    pool.drop(held_out.index).to_csv(folder / "saved.csv", index=False)
    _in_december(held_out).to_csv(folder / "null.csv", index=False)
    planted = papers[(month >= "2024-12") & subject].head(20)
    pd.concat([_in_december(held_out.iloc[:90]), _in_december(planted)]).to_csv(folder / "planted.csv", index=False)
    run([folder / "saved.csv"], folder / "saved", static=False, log=_quiet)
    return folder, set(planted["arxiv_id"])


def _update(folder, source: str, out: str, **options):
    """An update of the saved review with ``folder/source`` into ``folder/out``: the result and what it said."""
    messages = []
    result = run(
        [folder / source],
        folder / out,
        model_dir=folder / "saved" / "model",
        static=False,
        log=messages.append,
        **options,
    )
    return result, messages


@pytest.fixture(scope="module")
def planted_update(review):
    return _update(review[0], "planted.csv", "planted")


@pytest.mark.slow
def test_an_update_reports_over_the_saved_months_and_the_new_ones(review, planted_update):
    folder, _ = review
    result, messages = planted_update
    saved = pd.read_csv(folder / "saved" / "papers.csv")
    papers = pd.read_csv(folder / "planted" / "papers.csv")
    new = pd.read_csv(folder / "planted.csv")
    assert len(papers) == len(saved) + len(new) and papers["is_new"].sum() == len(new)
    assert papers.loc[~papers["is_new"], "paper_id"].tolist() == saved["paper_id"].tolist()
    # the saved papers keep their topics, and the themes their ids and labels
    assert (papers.loc[~papers["is_new"], "topic"].to_numpy() == saved["topic"].to_numpy()).all()
    assert pd.read_csv(folder / "planted" / "topics.csv")[["topic", "label"]].equals(
        pd.read_csv(folder / "saved" / "topics.csv")[["topic", "label"]]
    )
    assert pd.read_csv(folder / "planted" / "topics.csv")["size"].sum() == len(papers)
    # trends over all months, the new ones marked
    # by the saved review's period (its 26 weeks; auto would take months for the 31 weeks to December)
    assert load_topics(folder / "saved" / "model").params.review_period == "week"
    shares = pd.read_csv(folder / "planted" / "trend_shares.csv")
    weeks = sorted(shares["period"].unique())
    assert weeks[0] == "2024-W23" and weeks[-1] == "2025-W01" and len(weeks) == 31  # to 2024-12-31, ISO 2025-W01
    december = tuple(w for w in weeks if w >= "2024-W48")  # the weeks with new papers (W48: 2024-11-25 to 12-01)
    assert result.trends.unit == "week" and result.trends.new_periods == december
    title = result.figures["topics_over_time"].layout.title.text.replace(
        "</span><br><span style='font-size:13px;color:#555'>", " "
    )
    assert f"shaded: new since the saved topics ({december[0]}" in title
    assert load_topics(folder / "planted" / "model").params.review_period == "week"
    assert any(m.startswith(f"placed {len(new)} new papers onto ") for m in messages)
    # the model written carries every paper, so the next update extends this one
    assert len(load_topics(folder / "planted" / "model").papers) == len(papers)


def test_a_planted_subject_is_found_as_a_new_theme_of_its_own_papers(review, planted_update):
    folder, planted_ids = review
    themes = pd.read_csv(folder / "planted" / "new_themes.csv")
    papers = pd.read_csv(folder / "planted" / "papers.csv", dtype={"paper_id": str})
    assert len(themes) == 1, themes
    in_theme = papers["new_theme"].notna() & papers["is_new"]
    is_planted = papers["paper_id"].isin(planted_ids)
    assert is_planted[in_theme].mean() >= 0.8  # purity: the theme's new papers are the planted ones
    assert (in_theme & is_planted).sum() / len(planted_ids) >= 0.7  # coverage
    assert (themes["q_value"] < 0.05).all() and (themes["new_papers"] >= 10).all()
    assert (themes["ratio_low"] <= themes["rate_ratio"]).all() and (themes["rate_ratio"] <= themes["ratio_high"]).all()
    assert papers.loc[papers["new_theme"].notna(), "new_theme"].isin(themes["new_theme"]).all()
    saved_labels = set(pd.read_csv(folder / "saved" / "topics.csv")["label"])
    assert not set(themes["label"]) & saved_labels and set(themes["nearest_topic_label"]) <= saved_labels
    report = (folder / "planted" / "report.html").read_text()
    assert report.index("New since the saved topics") < report.index('id="trends"')
    assert all(label in report for label in themes["label"].str.replace("&", "&amp;"))


def test_the_report_shows_each_topics_new_papers_against_before(review, planted_update):
    folder, planted_ids = review
    result, _ = planted_update
    changes = pd.read_csv(folder / "planted" / "this_update.csv")
    papers = pd.read_csv(folder / "planted" / "papers.csv", dtype={"paper_id": str})
    new = papers[papers["is_new"]]
    assert changes["new_papers"].sum() == len(new) and changes["saved_papers"].sum() == (~papers["is_new"]).sum()
    assert changes["share_ratio"].is_monotonic_decreasing
    counts = new["topic"].value_counts()
    top = changes.iloc[0]
    assert top["new_papers"] == counts.get(top["topic"], 0)
    # its representative papers are new ones of that topic, and the report shows them
    titles = top["new_titles"].split(" | ")
    assert set(titles) <= set(new.loc[new["topic"] == top["topic"], "title"])
    report = (folder / "planted" / "report.html").read_text()
    assert "Each topic: this update against before" in report
    assert titles[0].replace("&", "&amp;").replace("'", "&#39;") in report
    # the papers table tells the new papers apart
    assert "<th>new</th><th>novel</th>" in report and report.count("<td>new</td>") == len(new)
    # the map outlines the new papers and labels the new theme on its papers
    from analysis.figures.theme import escaped_short

    figure = result.figures["document_map"]
    assert len(next(t for t in figure.data if t.name == "new in this update").x) == len(new)
    themes = pd.read_csv(folder / "planted" / "new_themes.csv")
    notes = [a.text for a in figure.layout.annotations]
    assert [n for n in notes if n.startswith("<b>new theme: ")] == [
        f"<b>new theme: {escaped_short(label, 28)}</b>" for label in themes["label"]
    ]
    # inputs: this update's and the saved review's
    assert f"{folder / 'planted.csv'} (this update); the saved review&#39;s: {folder / 'saved.csv'}" in report


@pytest.mark.slow
def test_a_month_without_a_new_subject_reports_none(review):
    folder, _ = review
    _, messages = _update(folder, "null.csv", "null")
    themes = pd.read_csv(folder / "null" / "new_themes.csv")
    assert themes.empty and "rate_ratio" in themes.columns  # the header alone
    assert pd.read_csv(folder / "null" / "papers.csv")["new_theme"].isna().all()
    assert "new themes: 0 (q < 0.05" in "\n".join(messages)
    assert "No new theme" in (folder / "null" / "report.html").read_text()


@pytest.mark.slow
def test_adopted_themes_are_topics_the_next_update_tracks(review, planted_update):
    folder, planted_ids = review
    _, messages = _update(folder, "planted.csv", "adopted", adopt=True)
    themes = pd.read_csv(folder / "adopted" / "new_themes.csv")
    saved, adopted = load_topics(folder / "saved" / "model"), load_topics(folder / "adopted" / "model")
    assert len(adopted.topics) == len(saved.topics) + len(themes) and len(themes) == 1
    assert adopted.topics["label"].tolist()[-len(themes) :] == themes["label"].tolist()
    new_ids = list(range(len(saved.topics), len(adopted.topics)))
    assert adopted.topics["adopted"].tolist() == [False] * len(saved.topics) + [True] * len(themes)
    report = (folder / "adopted" / "report.html").read_text()
    assert report.count("(adopted new theme)") == len(themes) == 1
    assert f'<td>{html.escape(themes["label"].iat[0])} <span class="note">(adopted new theme)</span>' in report
    assert set(adopted.terms["topic"]) >= set(new_ids)
    # robotics joins the broad topic nearest it (it is as close to it as the saved fine topics are to theirs)
    theme = adopted.topics.iloc[-1]
    parent = adopted.broad.set_index("broad_topic").loc[theme["broad_topic"]]
    assert len(adopted.broad) == len(saved.broad) and theme["broad_topic_label"] == parent["label"]
    before = saved.broad.set_index("broad_topic").loc[theme["broad_topic"]]
    assert parent["n_topics"] == before["n_topics"] + 1 and parent["topics"].endswith(f" | {theme['label']}")
    # the saved BERTopic model learns it: its terms, its label, its embedding
    model = adopted.model
    assert [t for t, _ in model.get_topic(new_ids[0])] == adopted.terms.loc[
        adopted.terms["topic"] == new_ids[0], "term"
    ].tolist()
    assert model.custom_labels_[new_ids[0]] == theme["label"] and len(model.topic_embeddings_) == len(adopted.topics)
    assert model.c_tf_idf_.shape[0] == len(adopted.topics)
    # the planted papers, placed again onto the adopted model, land in the adopted topics
    from analysis import load_digests

    placed = adopted.assign(load_digests(folder / "planted.csv").pipe(lambda p: p[p["paper_id"].isin(planted_ids)]))
    assert placed["topic"].isin(new_ids).mean() >= 0.6
    # its new papers are its members; no saved paper moved, and the run said where they stay
    history, written = adopted.papers, pd.read_csv(folder / "adopted" / "papers.csv")
    saved_rows = history.iloc[: len(saved.papers)]
    assert (saved_rows["topic"].to_numpy() == saved.papers["topic"].to_numpy()).all()
    members = history["topic"].isin(new_ids)
    assert members.sum() == themes["new_papers"].sum() and not members.iloc[: len(saved.papers)].any()
    assert (written["topic"].to_numpy() == history["topic"].to_numpy()).all()  # reported as saved: nothing moves later
    assert (written["first_topic"].to_numpy() == history["topic"].to_numpy()).all()
    stay = themes["saved_papers"].sum()
    assert f"{stay} saved papers of the adopted themes keep their topics (" in "\n".join(messages)


@pytest.mark.slow
def test_moving_saved_papers_into_an_adopted_theme_is_asked_for_and_said(review, planted_update):
    folder, _ = review
    _, messages = _update(folder, "planted.csv", "moved", adopt=True, move_saved=True)
    themes = pd.read_csv(folder / "moved" / "new_themes.csv")
    saved = pd.read_csv(folder / "saved" / "papers.csv")
    papers = pd.read_csv(folder / "moved" / "papers.csv")
    old = papers.iloc[: len(saved)]
    moved = old["topic"].to_numpy() != saved["topic"].to_numpy()
    assert moved.sum() == themes["saved_papers"].sum() > 0
    assert (old.loc[moved, "first_topic"].to_numpy() == saved.loc[moved, "topic"].to_numpy()).all()  # where it was
    assert (old.loc[~moved, "first_topic"] == old.loc[~moved, "topic"]).all()
    line = next(m for m in messages if m.startswith("moved "))
    counts = saved.loc[moved, "topic_label"].value_counts()
    assert line.startswith(f"moved {moved.sum()} saved papers into the adopted themes (--move-saved): ")
    assert f"{counts.iloc[0]} from {counts.index[0]}" in line
    assert line.replace("&", "&amp;") in (folder / "moved" / "report.html").read_text()


@pytest.mark.slow
def test_an_adopted_theme_is_not_found_again_the_next_month(review, tmp_path):
    folder, planted_ids = review
    _update(folder, "planted.csv", "adopted-next", adopt=True)
    adopted = pd.read_csv(folder / "adopted-next" / "new_themes.csv")
    assert len(adopted) >= 1  # the planted subject became a topic
    papers = pd.read_csv(ROOT / "examples" / "daily_papers_2024-06_2025-05.csv.gz", dtype=str)
    month = papers["digest_date"].str[:7]
    subject = papers["title"].str.contains(SUBJECT) | papers["abstract"].str.contains(SUBJECT)
    later = papers[(month <= "2024-11") & subject].head(20)  # more of the subject, never saved before
    others = pd.read_csv(folder / "saved.csv", dtype=str).sample(80, random_state=1)  # listed again: nothing new
    january = pd.concat([later, others]).assign(digest_date=lambda f: "2025-01-" + f["digest_date"].str[8:10])
    january.assign(digest=january["digest_date"]).to_csv(tmp_path / "january.csv", index=False)
    messages = []
    run([tmp_path / "january.csv"], tmp_path / "out", model_dir=folder / "adopted-next" / "model", static=False,
        log=messages.append)  # fmt: skip
    assert pd.read_csv(tmp_path / "out" / "new_themes.csv").empty, messages
    placed = pd.read_csv(tmp_path / "out" / "papers.csv", dtype={"paper_id": str})
    new = placed[placed["is_new"] & placed["paper_id"].isin(later["arxiv_id"])]
    assert len(new) == len(later)
    assert new["topic_label"].isin(adopted["label"]).mean() >= 0.6  # its papers are placed on the adopted topic


@pytest.mark.slow
def test_a_period_given_to_an_update_is_used_said_and_kept(review, tmp_path):
    folder, _ = review
    result, messages = _update(folder, "null.csv", tmp_path / "by-month", period="month")
    line = "trends by month as --period asks, not by the saved review's week: the review's period from now on"
    assert line in messages and result.trends.unit == "month"
    assert line in (tmp_path / "by-month" / "report.html").read_text().replace("&#39;", "'")
    assert load_topics(tmp_path / "by-month" / "model").params.review_period == "month"
    again, messages = _update(folder, "null.csv", tmp_path / "same", period="week", seed=7)  # the saved period
    assert again.trends.unit == "week" and not any("--period" in m for m in messages)
    # the report names the update's own seed beside the fit's
    assert (
        "7 (this update&#39;s new-theme clustering; the topics were fitted with 42)"
        in (tmp_path / "same" / "report.html").read_text()
    )


@pytest.mark.slow
def test_a_skipped_month_is_one_warning_line(review, tmp_path):
    folder, _ = review
    february = pd.read_csv(folder / "null.csv", dtype=str)
    february = february.assign(digest_date="2025-02-" + february["digest_date"].str[8:10].clip(upper="28"))
    february.assign(digest=february["digest_date"]).to_csv(tmp_path / "february.csv", index=False)
    result, messages = _update(folder, str(tmp_path / "february.csv"), tmp_path / "out", period="month")
    line = (
        "no papers from 2024-12, 2025-01, between the saved papers (to 2024-11) and the new ones (from 2025-02): "
        "months skipped?"
    )
    assert line in messages and line in result.notes


@pytest.mark.slow
def test_papers_already_saved_are_not_added_twice(review):
    folder, _ = review
    saved = pd.read_csv(folder / "saved" / "papers.csv")
    with pytest.raises(InputError, match=f"all {len(saved)} papers are already in the saved model"):
        _update(folder, "saved.csv", "again")  # the same month added twice: one line, nothing written
    assert not (folder / "again").exists()
    mixed = pd.concat([pd.read_csv(folder / "saved.csv").head(3), pd.read_csv(folder / "null.csv")])
    mixed.to_csv(folder / "mixed.csv", index=False)
    messages = []
    out = f"{folder / 'mixed'}/"  # as a shell completes a folder's name
    result = run([folder / "mixed.csv"], out, model_dir=folder / "saved" / "model", static=False, log=messages.append)
    assert "3 papers already in the saved papers (same digest) left out" in messages
    assert messages[-1].endswith(f"the tables to {folder / 'mixed'}/")  # one slash
    assert len(result.papers) == len(saved) + len(mixed) - 3


def test_adopt_without_a_model_is_refused_before_any_work(tmp_path):
    with pytest.raises(InputError, match="--adopt .* needs --model"):
        run([ROOT / "data"], tmp_path / "out", adopt=True, log=_quiet)
    assert not (tmp_path / "out").exists()


def test_saved_history_round_trips_with_mixed_columns(tmp_path, seed_result):
    papers = seed_result.papers.assign(extra=[1 if i % 2 else "x" for i in range(len(seed_result.papers))])
    seed_result.papers, original = papers, seed_result.papers
    try:
        seed_result.save(tmp_path / "model")
    finally:
        seed_result.papers = original
    history = load_topics(tmp_path / "model").papers
    assert len(history) == len(papers) and history["extra"].tolist()[:2] == ["x", "1"]
    assert np.array_equal(history["topic"].to_numpy(), papers["topic"].to_numpy())


@pytest.mark.slow
def test_the_readme_living_review_commands_run_as_written(tmp_path):
    """The README's fetch-and-update commands, in a copy of examples/, fetching from a replay of recorded API days."""
    import os
    import re
    import subprocess
    import sys

    from replay import replay_server

    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Living reviews") :]
    block = re.search(r"```console\n(.*?)```", section, re.S).group(1)
    commands = [line[2:].split("  #")[0].strip() for line in block.splitlines() if line.startswith("$ ")]
    assert [c.split()[1] for c in commands] == ["run", "fetch", "run"]
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    with replay_server() as server:
        env = {**os.environ, "HF_ENDPOINT": server.url}
        for command in commands:
            argv = [sys.executable, "-m", "analysis", *command.split()[1:]]
            done = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True)
            assert done.returncode == 0, (command, done.stderr[-2000:])
    assert sorted(p.name for p in (tmp_path / "daily" / "2025-06").glob("*.json")) == ["2025-06-20.json"]
    update = pd.read_csv(tmp_path / "review-2025-06" / "papers.csv")
    assert update["is_new"].sum() == 2 and len(update) == 1202
    assert (tmp_path / "review-2025-06" / "new_themes.csv").is_file()
    assert len(load_topics(tmp_path / "review-2025-06" / "model").papers) == 1202


@pytest.mark.slow
def test_the_image_browser_starts_before_new_papers_are_embedded_and_not_for_a_rerun(review, monkeypatch):
    import contextlib

    from analysis import pipeline
    from analysis.embeddings import Embedder

    folder, _ = review
    papers = pd.read_csv(ROOT / "examples" / "daily_papers_2024-06_2025-05.csv.gz", dtype=str)
    fresh = _in_december(papers[papers["digest_date"] >= "2025-05"].head(12))
    fresh = fresh.assign(abstract=fresh["abstract"] + " Written for the browser test.")  # embedded by no other test
    fresh.to_csv(folder / "fresh.csv", index=False)
    events = []
    encode = Embedder.encode

    def recorded_encode(self, texts):
        events.append(("encode", len(texts)))
        return encode(self, texts)

    @contextlib.contextmanager
    def recorded_browser(wanted=True):
        events.append(("browser", wanted))
        yield None

    monkeypatch.setattr(Embedder, "encode", recorded_encode)
    monkeypatch.setattr(pipeline, "started_browser", recorded_browser)
    monkeypatch.setattr(pipeline, "write_static", lambda *args, **kwargs: events.append(("static",)))
    for out in ("fresh", "fresh-again"):
        run([folder / "fresh.csv"], folder / out, model_dir=folder / "saved" / "model", log=_quiet)
    # the first run starts the browser before it embeds its 12 new papers (its start overlaps the model's
    # loading); the rerun embeds nothing, so its images are cached ones and it starts no browser
    assert events == [("browser", True), ("encode", 12), ("static",), ("browser", False), ("static",)]


@pytest.mark.slow
def test_names_set_by_hand_survive_an_update_that_adopts(review, tmp_path):
    import shutil

    from analysis.__main__ import main

    folder, _ = review
    model = tmp_path / "model"
    shutil.copytree(folder / "saved" / "model", model)
    assert main(["rename", str(model), "0", "My own theme"]) == 0
    assert main(["rename", str(model), "0", "My own area", "--broad"]) == 0
    run([folder / "planted.csv"], tmp_path / "out", model_dir=model, static=False, log=_quiet, adopt=True)
    saved = load_topics(folder / "saved" / "model")
    adopted = load_topics(tmp_path / "out" / "model").topics  # what the next update starts from
    assert len(adopted) > len(saved.topics)  # a theme was adopted
    for table in (pd.read_csv(tmp_path / "out" / "topics.csv"), adopted):
        assert table.loc[0, ["label", "label_source"]].tolist() == ["My own theme", "user"]
        assert table["label_source"].iloc[1:].eq("phrase").all()  # the other saved names and the adopted themes
    broad = pd.read_csv(tmp_path / "out" / "broad_topics.csv")
    assert broad.loc[0, ["label", "label_source"]].tolist() == ["My own area", "user"]
    papers = pd.read_csv(tmp_path / "out" / "papers.csv")
    assert set(papers.loc[papers["topic"] == 0, "topic_label"]) == {"My own theme"}
    assert set(papers.loc[papers["broad_topic"] == 0, "broad_topic_label"]) == {"My own area"}
    html = (tmp_path / "out" / "report.html").read_text()
    assert html.count("(named by hand)") == 2
    assert 'Marked "named by hand": 2 names set with digest-topics rename' in html


def test_the_update_stage_returns_what_it_would_say_and_the_model_to_write(seed_result, seed_papers, capsys):
    from analysis.update import update

    # a later digest listing 30 of the saved papers again: each is placed onto its own topic
    later = seed_papers.head(30).assign(digest="later")
    found = update(seed_result, later, seed_result.embeddings[:30], history_vectors=seed_result.embeddings)
    assert capsys.readouterr().out == ""  # said nothing: the lines are the caller's to say
    novel = int(found.papers["novel"].sum())
    assert found.messages[0] == (
        f"placed 30 new papers onto {len(seed_result.topics)} saved topics, beside 186 saved papers; "
        f"{novel} flagged as novel"
    )
    assert found.messages[1].startswith(f"new themes: {len(found.new_themes)}") and found.notes == []
    assert found.papers["topic"].tolist()[186:] == seed_result.papers["topic"].tolist()[:30]
    assert found.model.papers is found.papers and found.model.topics is seed_result.topics  # nothing adopted
    assert found.coords.shape == (216, 2) and np.isfinite(found.coords).all()  # a map of all: the fit had none
