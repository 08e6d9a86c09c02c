"""Periods from dates, and the trend test: planted trends found, steady topics left alone, uneven volumes and
busy days not read as trends."""

import numpy as np
import pandas as pd
import pytest

from analysis.trends import assign_periods, period_table, resolve_period, topic_trends

STEADY = [0.20, 0.18, 0.15, 0.12, 0.10, 0.05]  # six steady topics: 80% of the papers


def _planted(seed: int, *, n_months: int = 18, planted: bool = True, dispersion: float = 300.0) -> pd.DataFrame:
    """Monthly digests of very uneven size (60 to 600 papers). With ``planted``, topic 6 rises from 3% to 15%
    of the papers and topic 7 falls from 17% to 5% (their sum stays 20%, so the steady topics' shares are
    truly constant); without, both stay at 10%. Each month's shares are drawn from a Dirichlet around the
    planned ones (over-dispersion between months), then its papers from a multinomial."""
    rng = np.random.default_rng(seed)
    months = pd.date_range("2024-11-01", periods=n_months, freq="MS")
    sizes = rng.choice([60, 150, 300, 600], size=n_months)
    rows = []
    for i, (month, size) in enumerate(zip(months, sizes, strict=True)):
        step = i / (n_months - 1)
        moving = [0.03 + 0.12 * step, 0.17 - 0.12 * step] if planted else [0.10, 0.10]
        shares = rng.dirichlet(np.array(STEADY + moving) * dispersion)
        counts = rng.multinomial(size, shares)
        day = month + pd.Timedelta(days=int(rng.integers(0, 27)))
        for topic, count in enumerate(counts):
            rows += [{"digest": day.strftime("%Y-%m-%d"), "digest_date": day, "topic": topic}] * int(count)
    papers = pd.DataFrame(rows)
    papers["topic_label"] = "Topic " + papers["topic"].astype(str)
    return papers


@pytest.mark.parametrize("seed", range(6))
def test_planted_rising_and_falling_topics_are_found_and_nothing_else(seed):
    trends = topic_trends(assign_periods(_planted(seed)))
    found = dict(zip(trends.table["topic"], trends.table["trend"], strict=True))
    assert found == {0: "steady", 1: "steady", 2: "steady", 3: "steady", 4: "steady", 5: "steady"} | {
        6: "rising",
        7: "falling",
    }
    rising = trends.table.set_index("topic").loc[6]
    assert rising["or_low"] > 1 and rising["share_last"] > 2 * rising["share_first"]
    assert trends.table["trend"].iloc[:2].tolist() == ["rising", "falling"]  # significant trends lead


@pytest.mark.slow
def test_a_steady_review_puts_about_the_stated_share_of_its_topics_on_the_watch_list():
    """WATCH_RULES state about 10% (two tests at 5%): over 40 planted steady reviews (320 topics, over-dispersed
    between months) the share listed is that, give or take three standard errors (1.7 points): neither a test
    that never flags nor one that flags twice as often passes."""
    from analysis.trends import WATCH_P

    tables = [topic_trends(assign_periods(_planted(seed, planted=False, n_months=12))).table for seed in range(40)]
    listed = pd.concat(tables)
    steady = listed[listed["trend"] == "steady"]  # BH lets a few false trends through over 40 reviews
    assert len(steady) >= 0.95 * len(listed) and not listed.loc[listed["trend"] != "steady", "watch"].any()
    stated = 1 - (1 - WATCH_P) ** 2
    assert abs(steady["watch"].mean() - stated) <= 0.05
    assert steady["watch"].equals((steady["p_value"] < WATCH_P) | (steady["p_last"] < WATCH_P))


@pytest.mark.slow
def test_a_rising_topic_reaches_the_watch_list_before_it_is_significant():
    """The planted rise (3% to 15% over 18 months), reviewed month by month from the 4th: it is on the watch list
    in an earlier month than the one it is first called rising, for most seeds."""
    earlier = 0
    for seed in range(5):
        papers = assign_periods(_planted(seed))
        months = sorted(papers["period"].unique())
        watched = called = None
        for n in range(4, len(months) + 1):
            row = topic_trends(papers[papers["period"].isin(months[:n])]).table.set_index("topic").loc[6]
            watched = watched or (n if row["watch"] else None)
            called = called or (n if row["trend"] in ("rising", "emerging") else None)
        assert called is not None and not (row["watch"] and row["trend"] != "steady")  # a trend is not "watched"
        earlier += watched is not None and watched < called
    assert earlier >= 4


def test_a_fit_that_did_not_converge_is_recorded_and_never_a_trend(monkeypatch):
    import statsmodels.genmod.generalized_linear_model as glm

    assert topic_trends(assign_periods(_planted(0))).table["converged"].all()
    fit = glm.GLM.fit
    monkeypatch.setattr(glm.GLM, "fit", lambda self, *args, **kwargs: fit(self, *args, **{**kwargs, "maxiter": 1}))
    trends = topic_trends(assign_periods(_planted(0)))
    stopped = trends.table.set_index("topic")
    assert not stopped.loc[6, "converged"] and stopped.loc[6, "trend"] == "steady"  # the planted rise, unfinished
    assert set(stopped["trend"]) == {"steady"}


@pytest.mark.parametrize("seed", range(6))
def test_constant_shares_under_uneven_volumes_are_steady(seed):
    trends = topic_trends(assign_periods(_planted(seed, planted=False)))
    assert set(trends.table["trend"]) == {"steady"}
    assert (trends.table["dispersion"] >= 1).all()


def test_one_busy_day_does_not_make_a_trend():
    papers = _planted(0, planted=False)
    last = papers["digest_date"].max()
    burst = pd.DataFrame({"digest": "burst", "digest_date": last, "topic": 7, "topic_label": "Topic 7"}, index=[0])
    trends = topic_trends(assign_periods(pd.concat([papers] + [burst] * 120, ignore_index=True)))
    assert trends.table.set_index("topic").at[7, "trend"] == "steady"


def test_emerging_and_fading_are_nearly_absent_at_one_end():
    rng = np.random.default_rng(1)
    rows = []
    for i, month in enumerate(pd.date_range("2025-01-01", periods=12, freq="MS")):
        new = 0.0 if i < 4 else 0.03 * (i - 3)  # absent for four months, then up to 24%
        old = max(0.0, 0.24 - 0.03 * i) if i < 9 else 0.0
        topics = rng.choice(3, size=300, p=[new, old, 1 - new - old])
        rows += [{"digest": month.strftime("%Y-%m-%d"), "digest_date": month, "topic": int(t)} for t in topics]
    papers = pd.DataFrame(rows).assign(topic_label=lambda f: f["topic"].map({0: "new", 1: "old", 2: "rest"}))
    table = topic_trends(assign_periods(papers)).table.set_index("label")
    assert table["trend"].to_dict() == {"new": "emerging", "old": "fading", "rest": "steady"}
    assert table.at["new", "papers_first"] == 0 and table.at["old", "papers_last"] == 0


def test_trend_table_columns_and_shares_fill_every_cell():
    trends = topic_trends(assign_periods(_planted(0)))
    assert list(trends.table.columns[:10]) == [
        "topic",
        "label",
        "trend",
        "watch",
        "q_value",
        "p_value",
        "p_last",
        "odds_ratio_per_year",
        "or_low",
        "or_high",
    ]
    assert {"share_first", "share_last", "papers_first", "papers_last", "ratio_low", "ratio_high"} <= set(
        trends.table.columns
    )
    assert len(trends.shares) == 8 * 18 and trends.shares["period"].nunique() == 18
    assert trends.shares.groupby("period")["share"].sum().round(10).eq(1).all()
    assert trends.unit == "month" and trends.first_part == "2024-11 – 2025-04"
    watched = int(trends.table["watch"].sum())
    watch = f" ({watched} on the watch list, not significant)" if watched else ""
    assert trends.summary() == f"trends by month, 2024-11 – 2026-04 (18 periods): 1 rising, 1 falling, 6 steady{watch}"


def _dates(*days: str) -> pd.DataFrame:
    return pd.DataFrame({"digest": list(days), "digest_date": pd.to_datetime(list(days))})


def test_iso_weeks_cross_the_year_end():
    papers = _dates("2020-12-31", "2021-01-03", "2021-01-04", "2024-12-29", "2024-12-30", "2025-01-05")
    assert assign_periods(papers, "week")["period"].tolist() == [
        "2020-W53",
        "2020-W53",
        "2021-W01",
        "2024-W52",
        "2025-W01",
        "2025-W01",
    ]


def test_months_quarters_days_and_digests():
    papers = _dates("2024-11-30", "2024-12-31", "2025-01-01", "2025-03-31", "2025-04-01")
    assert assign_periods(papers, "month")["period"].tolist() == ["2024-11", "2024-12", "2025-01", "2025-03", "2025-04"]
    assert assign_periods(papers, "quarter")["period"].tolist() == [
        "2024-Q4",
        "2024-Q4",
        "2025-Q1",
        "2025-Q1",
        "2025-Q2",
    ]
    assert assign_periods(papers, "day")["period"].tolist()[:2] == ["2024-11-30", "2024-12-31"]
    assert assign_periods(papers, "digest")["period"].tolist() == papers["digest"].tolist()
    assert period_table(assign_periods(papers, "quarter"))["papers"].tolist() == [2, 2, 1]


@pytest.mark.parametrize(
    ("days", "unit"),
    [(1, "day"), (30, "day"), (31, "week"), (84, "week"), (365, "month"), (2 * 365, "month"), (3 * 365, "quarter")],
)
def test_auto_period_is_the_finest_with_at_most_30_periods(days, unit):
    dates = pd.Series(pd.date_range("2025-01-06", periods=days))
    assert resolve_period(dates) == unit


def test_undated_digests_get_no_period_and_no_trends():
    papers = pd.DataFrame({"digest": ["a", "b"], "digest_date": pd.to_datetime([None, None]), "topic": [0, 1]})
    dated = assign_periods(papers)
    assert dated["period"].tolist() == ["", ""] and list(papers.columns) == ["digest", "digest_date", "topic"]
    with pytest.raises(ValueError, match="no paper has a digest date"):
        topic_trends(dated.assign(topic_label="x"))
    with pytest.raises(ValueError, match="period must be one of"):
        assign_periods(papers, "fortnight")


def test_fewer_than_three_periods_are_all_steady_and_untested():
    papers = _planted(0, n_months=2)
    trends = topic_trends(assign_periods(papers, "month"))
    assert set(trends.table["trend"]) == {"steady"} and trends.table["q_value"].isna().all()


def _dated_csv(path, months: list[str]) -> None:
    subjects = ["graph neural networks", "protein folding", "speech recognition"]
    rows = [
        {
            "title": f"Paper {i} of {month} on {subject}",
            "abstract": f"We study {subject} with new methods; experiment {i} in {month}.",
            "digest": f"daily {month}-1{i}",
            "date": f"{month}-1{i}",
        }
        for month in months
        for i, subject in enumerate(subjects)
    ]
    pd.DataFrame(rows).to_csv(path, index=False)


def test_run_writes_trends_for_dated_digests_and_skips_them_with_one_line(tmp_path):
    from analysis.pipeline import run
    from analysis.topics import load_topics

    _dated_csv(tmp_path / "year.csv", ["2025-01", "2025-02", "2025-03", "2025-04"])
    messages = []
    result = run([tmp_path / "year.csv"], tmp_path / "out", static=False, period="month", log=messages.append)
    assert any(m.startswith("trends by month, 2025-01 – 2025-04 (4 periods): ") for m in messages), messages
    papers = pd.read_csv(tmp_path / "out" / "papers.csv")
    assert papers["period"].tolist() == [m for m in ["2025-01", "2025-02", "2025-03", "2025-04"] for _ in range(3)]
    trends = pd.read_csv(tmp_path / "out" / "trends.csv")
    assert len(trends) == len(result.topics) and set(trends["trend"]) <= {"steady", "rising", "falling"}
    assert (tmp_path / "out" / "figures" / "topics_over_time.html").exists()
    # the watch list: a column of both trend tables, and its own heading in the report with its rules
    assert trends["watch"].dtype == bool and "watch" in pd.read_csv(tmp_path / "out" / "broad_trends.csv")
    report = (tmp_path / "out" / "report.html").read_text()
    assert report.index('id="trends"') < report.index('id="watch"') and "not significant after" in report
    assert f"{int(trends['watch'].sum())} steady topic" in report
    assert load_topics(tmp_path / "out" / "model").params.review_period == "month"

    _dated_csv(tmp_path / "once.csv", ["2025-01"])
    messages = []
    run([tmp_path / "once.csv"], tmp_path / "out-once", static=False, period="month", log=messages.append)
    assert "trends skipped: the dated digests span 1 month; a trend needs at least 3 months" in messages
    assert not (tmp_path / "out-once" / "trends.csv").exists()
    assert (tmp_path / "out-once" / "papers.csv").exists()


def test_a_wrong_group_by_column_fails_before_any_work(tmp_path):
    from analysis.pipeline import run

    _dated_csv(tmp_path / "year.csv", ["2025-01"])
    with pytest.raises(ValueError, match="--group-by 'venue': no such column"):
        run([tmp_path / "year.csv"], tmp_path / "out", group_by="venue", log=lambda m: None)
    assert not (tmp_path / "out").exists()


def test_the_period_unit_is_read_from_the_labels_and_survives_a_copy():
    from analysis.trends import period_unit

    papers = _planted(0).assign(digest=lambda f: "issue " + f["digest"])  # digests named like dates read as days
    for unit in ("day", "week", "month", "quarter", "digest"):
        periods = assign_periods(papers, unit)
        assert not periods.attrs  # nothing kept beside the data: it is in the labels
        merged = periods.merge(papers[["digest"]].drop_duplicates(), on="digest")  # what drops attrs
        assert period_unit(merged["period"]) == unit
        if unit != "digest":
            assert topic_trends(merged).unit == unit
