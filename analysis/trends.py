"""Trends over dated digests: periods from digest dates, a trend test per topic, and trend classes.

Every paper gets a ``period`` from its digest's date (:func:`assign_periods`); :func:`topic_trends` then asks,
for each topic, whether its *share* of each period's papers changes over time.

The test, per topic: a quasi-binomial GLM (statsmodels) of the topic's share of each period's papers on time
in years, weighted by the period's papers, with the dispersion estimated from the Pearson χ² (floored at 1,
so a run of busy or quiet periods widens the intervals instead of making a trend). The p-value is the
quasi-likelihood F-test of the slope (deviance drop over dispersion, scipy's F distribution); the q-value is
Benjamini–Hochberg over all topics of the level. Effect sizes: the odds ratio of the share per year with its
95% interval, and the share in the first and in the last third of the periods with the ratio of the two and
its 95% interval (``confint_proportions_2indep``). The classes are :data:`TREND_RULES`.
"""

from __future__ import annotations

import contextlib
import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis._stats import ALPHA, q_values
from analysis.columns import require
from analysis.errors import InputError

__all__ = [
    "ALPHA",
    "MAX_AUTO_PERIODS",
    "MIN_PERIODS",
    "PERIODS",
    "TREND_RULES",
    "WATCH_P",
    "WATCH_RULES",
    "Trends",
    "assign_periods",
    "period_table",
    "period_unit",
    "resolve_period",
    "skipped_periods",
    "span_of",
    "topic_trends",
]

PERIODS = ("auto", "digest", "day", "week", "month", "quarter")
MAX_AUTO_PERIODS = 30  # auto: the finest calendar unit that gives at most this many periods
MIN_PERIODS = 3  # a slope and a dispersion need at least 3 periods with papers
MIN_SHARE_CHANGE = 1.25  # shares sum to 1: a real trend must also move the share by at least a quarter
NEARLY_ABSENT = 5  # emerging / fading: the share at one end is at most a fifth of the other end's
_FREQ = {"day": "D", "week": "W-SUN", "month": "M", "quarter": "Q"}  # W-SUN: weeks Monday-Sunday, as ISO
TREND_CLASSES = ("emerging", "rising", "falling", "fading", "steady")
# The watch list: steady themes that moved by an unadjusted test, each at this level (two tests per theme)
WATCH_P = 0.05

TREND_RULES = (
    "Each topic's share of each period's papers is modelled on time by a quasi-binomial GLM weighted by the "
    "period's papers (dispersion from Pearson's chi-squared, at least 1); the slope is tested by the "
    "quasi-likelihood F-test and the p-values are Benjamini-Hochberg corrected over topics. "
    f"Rising: q < {ALPHA} and the share in the last third of the periods is at least {MIN_SHARE_CHANGE}x the share "
    f"in the first third. Falling: q < {ALPHA} and the last-third share is at most 1/{MIN_SHARE_CHANGE} of the "
    f"first-third share. Emerging: rising, and the first-third share is at most 1/{NEARLY_ABSENT} of the "
    f"last-third share (nearly absent at the start). Fading: falling, and the last-third share is at most "
    f"1/{NEARLY_ABSENT} of the first-third share (nearly gone at the end). Steady: every other topic, "
    "including all topics when there are fewer than 3 periods."
)
WATCH_RULES = (
    "The watch list holds steady topics that moved by either of two tests, each unadjusted at p < "
    f"{WATCH_P}: the slope of the trend GLM above (p), or the last period against the trend fitted on the "
    "periods before it (p_last: the last period's count against the GLM's prediction, with the quasi-binomial "
    "variance and the prediction's own uncertainty, two-sided, Student's t on the earlier periods' residual "
    "degrees of freedom; needs 3 earlier periods). They are not "
    "significant after Benjamini-Hochberg correction, so some are noise: a review whose shares do not change "
    f"lists each topic with a chance of about {1 - (1 - WATCH_P) ** 2:.0%} (the two tests at {WATCH_P} each)."
)


def check_period(period: str, name: str = "period") -> None:
    """Refuse a period that is not ``auto`` or one of :data:`PERIODS` (``name``: what the user called it)."""
    if period not in PERIODS:
        raise InputError(f"{name} must be one of {', '.join(PERIODS)}; got {period!r}")


def resolve_period(dates: pd.Series, period: str = "auto") -> str:
    """The period unit for ``dates``: ``period`` itself, or for ``"auto"`` the finest of day, week, month
    and quarter whose calendar span holds at most :data:`MAX_AUTO_PERIODS` periods (quarter otherwise).

    >>> resolve_period(pd.Series(pd.date_range("2025-01-01", "2025-12-31")))
    'month'
    >>> resolve_period(pd.Series(pd.date_range("2025-01-06", periods=84)))
    'week'
    """
    check_period(period)
    if period != "auto":
        return period
    dates = pd.to_datetime(dates).dropna()
    if dates.empty:
        return "day"
    first, last = dates.min(), dates.max()
    for unit in ("day", "week", "month"):
        if len(pd.period_range(first, last, freq=_FREQ[unit])) <= MAX_AUTO_PERIODS:
            return unit
    return "quarter"


def _label(period: pd.Period, unit: str) -> str:
    start = period.start_time
    if unit == "week":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    if unit == "quarter":
        return f"{period.year}-Q{period.quarter}"
    return start.strftime("%Y-%m" if unit == "month" else "%Y-%m-%d")


def assign_periods(papers: pd.DataFrame, period: str = "auto") -> pd.DataFrame:
    """A copy of ``papers`` with a ``period`` column from ``digest_date``: ``2025-03-14`` (day), ``2025-W11``
    (ISO week), ``2025-03`` (month), ``2025-Q1`` (quarter) or the digest's name (``digest``); empty where the
    digest has no date. :func:`resolve_period` tells the unit ``"auto"`` picks.

    >>> papers = pd.DataFrame({"digest": ["a", "b"], "digest_date": pd.to_datetime(["2024-12-30", "2025-01-05"])})
    >>> assign_periods(papers, "week")["period"].tolist()
    ['2025-W01', '2025-W01']
    >>> assign_periods(papers, "month")["period"].tolist()
    ['2024-12', '2025-01']
    """
    dates = pd.to_datetime(papers["digest_date"])
    unit = resolve_period(dates, period)
    out = papers.copy()
    if unit == "digest":
        out["period"] = np.where(dates.notna(), out["digest"].astype(str), "")
    else:
        labels = {p: _label(p, unit) for p in dates.dropna().dt.to_period(_FREQ[unit]).unique()}
        out["period"] = [labels[p] if p is not pd.NaT else "" for p in dates.dt.to_period(_FREQ[unit])]
    return out


def skipped_periods(papers: pd.DataFrame, unit: str) -> str:
    """A warning line naming the periods between an update's saved papers and its new ones (``is_new``) that
    hold no paper (a month that was never added), or "" when there is none (or periods are days or digests,
    whose gaps are ordinary).

    >>> papers = pd.DataFrame({"digest_date": pd.to_datetime(["2025-01-20", "2025-03-03"]), "is_new": [False, True]})
    >>> skipped_periods(papers, "month")
    'no papers from 2025-02, between the saved papers (to 2025-01) and the new ones (from 2025-03): a month skipped?'
    """
    if unit not in ("week", "month", "quarter"):
        return ""
    dates = pd.to_datetime(papers["digest_date"])
    is_new = papers["is_new"].to_numpy(bool)
    last, first = dates[~is_new].max(), dates[is_new].min()
    if pd.isna(last) or pd.isna(first) or first <= last:
        return ""
    span = pd.period_range(last, first, freq=_FREQ[unit])
    missing = [_label(p, unit) for p in span[1:-1]]
    if not missing:
        return ""
    what = f"{unit}s skipped" if len(missing) > 1 else f"a {unit} skipped"
    return (
        f"no papers from {', '.join(missing)}, between the saved papers (to {_label(span[0], unit)}) and the new "
        f"ones (from {_label(span[-1], unit)}): {what}?"
    )


_UNIT_PATTERNS = {
    "day": r"\d{4}-\d{2}-\d{2}", "week": r"\d{4}-W\d{2}", "month": r"\d{4}-\d{2}", "quarter": r"\d{4}-Q[1-4]",
}  # fmt: skip


def period_unit(periods: pd.Series) -> str:
    """The unit of :func:`assign_periods`' labels (``day``, ``week``, ``month``, ``quarter``; ``digest`` for
    anything else): read from the labels themselves, so that it survives whatever a frame goes through.
    Periods by digest whose digests are named like dates read as those dates' unit; pass the unit where it is
    known (``topic_trends(..., unit=...)``).

    >>> period_unit(pd.Series(["2025-W01", "2025-W02", ""]))
    'week'
    """
    labels = periods[periods.astype(str) != ""].astype(str)
    for unit, pattern in _UNIT_PATTERNS.items():
        if len(labels) and labels.str.fullmatch(pattern).all():
            return unit
    return "digest"


def period_table(papers: pd.DataFrame) -> pd.DataFrame:
    """One row per period with papers, in time order: ``period``, ``first_date``, ``last_date``, ``papers``,
    ``digests`` and ``time`` (the mean date of its papers, in years after the first period's mean date)."""
    dated = papers[papers["period"].astype(str) != ""]
    if dated.empty:
        return pd.DataFrame(columns=["period", "first_date", "last_date", "papers", "digests", "time"])
    dates = pd.to_datetime(dated["digest_date"])
    table = (
        dated.assign(_date=dates, _days=(dates - dates.min()).dt.total_seconds() / 86400)
        .groupby("period", sort=False)
        .agg(
            first_date=("_date", "min"),
            last_date=("_date", "max"),
            papers=("_date", "size"),
            digests=("digest", "nunique"),
            mean_days=("_days", "mean"),
        )
        .reset_index()
        .sort_values(["mean_days", "period"], kind="stable")
        .reset_index(drop=True)
    )
    table["time"] = (table["mean_days"] - table["mean_days"].iloc[0]) / 365.25
    return table.drop(columns="mean_days")


@dataclass
class Trends:
    """What :func:`topic_trends` finds.

    Attributes
    ----------
    table : DataFrame
        One row per topic: ``topic``, ``label``, ``trend``, ``q_value``, ``p_value``, ``odds_ratio_per_year``
        (with ``or_low``, ``or_high``: 95% interval), ``share_first``, ``share_last``, ``papers_first``,
        ``papers_last``, ``share_ratio`` (last / first, with ``ratio_low``, ``ratio_high``), ``dispersion``,
        ``papers``, ``converged`` (the GLM fit did; a fit that did not is never a trend), ``p_last`` (the last
        period against the trend of the periods before it) and ``watch`` (a steady topic with ``p_value`` or
        ``p_last`` below :data:`WATCH_P`: the watch list, :data:`WATCH_RULES`); significant trends first, then
        the watch list.
    shares : DataFrame
        One row per topic x period (zeros included): ``topic``, ``topic_label``, ``period``, ``count``,
        ``period_size``, ``share`` (a counts table like ``overlap.topic_digest_counts(papers, by="period")``),
        and the fitted share ``fitted`` with its 95% band ``fitted_low``, ``fitted_high``.
    periods : DataFrame
        :func:`period_table` of the papers.
    unit : str
        The period unit (``month``, ``week``...).
    first_part, last_part : str
        The periods the first and last thirds span, e.g. ``2024-06 – 2024-09``.
    new_periods : tuple of str
        In an update (papers with ``is_new``), the periods holding new papers; empty otherwise.
    """

    table: pd.DataFrame
    shares: pd.DataFrame
    periods: pd.DataFrame
    unit: str
    first_part: str
    last_part: str
    new_periods: tuple[str, ...] = ()

    @property
    def last_periods(self) -> list[str]:
        """The periods of the last third (those ``last_part`` spans)."""
        return self.periods["period"].tolist()[-max(1, math.ceil(len(self.periods) / 3)) :]

    @property
    def span(self) -> str:
        """The first and last period, e.g. ``2024-06 – 2025-05``."""
        return span_of(self.periods["period"])

    def summary(self) -> str:
        """One line, e.g. ``trends by month, 2024-06 – 2025-05 (12 periods): 2 rising, 1 falling, 16 steady``."""
        counts = self.table["trend"].value_counts()
        parts = ", ".join(f"{counts[c]} {c}" for c in TREND_CLASSES if counts.get(c, 0))
        watched = int(self.table["watch"].sum())
        watch = f" ({watched} on the watch list, not significant)" if watched else ""
        return f"trends by {self.unit}, {self.span} ({len(self.periods)} periods): {parts}{watch}"


@contextlib.contextmanager
def _quiet_glm():
    """The GLM's warnings that the tests handle, and only those: near-separation (a topic absent for months: the
    F-test and the interval carry it), non-convergence (recorded in ``converged``; such a fit is never a trend)
    and overflow of a huge odds ratio. Anything else still shows."""
    from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PerfectSeparationWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.filterwarnings("ignore", r"overflow encountered", RuntimeWarning)
        yield


def _fit(count: np.ndarray, size: np.ndarray, time: np.ndarray) -> dict:
    """Quasi-binomial GLM of count/size on time; slope, its interval, the F-test p-value and the fitted band."""
    import statsmodels.api as sm
    from scipy.stats import f as f_dist

    design = sm.add_constant(time, has_constant="add")
    model = sm.GLM(count / size, design, family=sm.families.Binomial(), var_weights=size)
    with _quiet_glm():
        first = model.fit()
        df_resid = len(count) - 2
        dispersion = max(1.0, float(first.pearson_chi2) / df_resid)
        fitted = model.fit(scale=dispersion)
        band = fitted.get_prediction(design).summary_frame(alpha=0.05)
    # IRLS that stopped at its iteration limit gives estimates that mean nothing: recorded, and never a trend
    converged = bool(first.converged and fitted.converged)
    statistic = max(0.0, float(first.null_deviance - first.deviance)) / dispersion
    slope, se = float(fitted.params[1]), float(fitted.bse[1])
    with np.errstate(over="ignore"):  # a topic absent from all early periods: the odds ratio is unbounded
        odds = np.exp([slope, slope - 1.959964 * se, slope + 1.959964 * se])
    return {
        "p_value": float(f_dist.sf(statistic, 1, df_resid)),
        "slope": slope,
        "odds_ratio_per_year": float(odds[0]),
        "or_low": float(odds[1]),
        "or_high": float(odds[2]),
        "dispersion": dispersion,
        "converged": converged,
        "fitted": band["mean"].to_numpy(),
        "fitted_low": band["mean_ci_lower"].to_numpy(),
        "fitted_high": band["mean_ci_upper"].to_numpy(),
    }


def _last_period(count: np.ndarray, size: np.ndarray, time: np.ndarray) -> float:
    """Two-sided p-value of the last period's count against the quasi-binomial GLM fitted on the periods before
    it (prediction variance: the binomial's times the dispersion, plus the fitted share's own); NaN with fewer
    than ``MIN_PERIODS`` earlier periods, or where the topic is absent from (or all of) them."""
    import statsmodels.api as sm
    from scipy.stats import t as t_dist

    k, n, before = count[-1], size[-1], slice(0, len(count) - 1)
    if len(count) - 1 < MIN_PERIODS or not 0 < count[before].sum() < size[before].sum():
        return np.nan
    design = sm.add_constant(time[before], has_constant="add")
    model = sm.GLM(count[before] / size[before], design, family=sm.families.Binomial(), var_weights=size[before])
    with _quiet_glm():
        first = model.fit()
        df_resid = len(count) - 3  # the earlier periods, less the GLM's two parameters
        dispersion = max(1.0, float(first.pearson_chi2) / df_resid)
        fitted = model.fit(scale=dispersion)
    if not (first.converged and fitted.converged):
        return np.nan
    x = np.array([1.0, time[-1]])
    eta = float(x @ fitted.params)
    share = 1 / (1 + np.exp(-eta))
    spread = share * (1 - share)
    variance = n * spread * dispersion + (n * spread) ** 2 * float(x @ fitted.cov_params() @ x)
    # Student's t: the dispersion is estimated from the few earlier periods, as the F-test of the slope allows
    return float(2 * t_dist.sf(abs(k - n * share) / np.sqrt(variance), df_resid))


def _no_test(n: int) -> dict:
    nan = np.full(n, np.nan)
    keys = ("p_value", "slope", "odds_ratio_per_year", "or_low", "or_high", "dispersion")
    return {**dict.fromkeys(keys, np.nan), "converged": True, "fitted": nan, "fitted_low": nan, "fitted_high": nan}


def _classify(q: float, slope: float, first: float, last: float, alpha: float) -> str:
    if not q < alpha:
        return "steady"
    if slope > 0 and last >= MIN_SHARE_CHANGE * first:
        return "emerging" if first * NEARLY_ABSENT <= last else "rising"
    if slope < 0 and last * MIN_SHARE_CHANGE <= first:
        return "fading" if last * NEARLY_ABSENT <= first else "falling"
    return "steady"


def span_of(periods) -> str:
    """The first and last of ``periods`` (in time order), e.g. ``2024-06 – 2025-05``; one period alone."""
    periods = list(periods)
    return str(periods[0]) if len(periods) == 1 else f"{periods[0]} – {periods[-1]}"


def topic_trends(
    papers: pd.DataFrame,
    *,
    topic_column: str = "topic",
    label_column: str = "topic_label",
    unit: str | None = None,
    alpha: float = ALPHA,
) -> Trends:
    """Test every topic for a trend in its share of each period's papers; see the module docstring.

    ``papers`` needs ``period`` (:func:`assign_periods`), ``digest_date``, ``digest`` and the topic columns;
    papers without a period are left out. ``unit`` names the period unit in the result (default: read from the
    labels, :func:`period_unit`). Raises ``InputError`` when no paper has a period.

    >>> rng = np.random.default_rng(0)
    >>> months = pd.date_range("2025-01-01", periods=12, freq="MS")
    >>> rows = [(d, "new" if rng.random() < 0.05 + 0.04 * i else "old") for i, d in enumerate(months)
    ...         for _ in range(200)]
    >>> papers = pd.DataFrame(rows, columns=["digest_date", "topic_label"]).assign(
    ...     digest=lambda f: f["digest_date"].dt.strftime("%Y-%m-%d"), topic=lambda f: f["topic_label"])
    >>> trends = topic_trends(assign_periods(papers))
    >>> trends.table[["label", "trend"]].to_dict("records")
    [{'label': 'new', 'trend': 'rising'}, {'label': 'old', 'trend': 'falling'}]
    >>> trends.summary()
    'trends by month, 2025-01 – 2025-12 (12 periods): 1 rising, 1 falling'
    """
    from statsmodels.stats.proportion import confint_proportions_2indep

    if "period" not in papers.columns:
        raise InputError("papers have no period column: call assign_periods first")
    require(papers, ["digest_date", "digest", topic_column, label_column], "the trend tests")
    periods = period_table(papers)
    if periods.empty:
        raise InputError("no paper has a digest date, so there are no periods to compare")
    dated = papers[papers["period"].astype(str) != ""]
    order = periods["period"].tolist()
    counts = pd.crosstab(dated[topic_column], dated["period"]).reindex(columns=order, fill_value=0)
    labels = dated.drop_duplicates(topic_column).set_index(topic_column)[label_column]
    size, time = periods["papers"].to_numpy(float), periods["time"].to_numpy(float)
    n_part = max(1, math.ceil(len(order) / 3))
    first, last = slice(0, n_part), slice(len(order) - n_part, len(order))
    rows, share_rows = [], []
    for topic, row in counts.iterrows():
        count = row.to_numpy(float)
        testable = len(order) >= MIN_PERIODS and 0 < count.sum() < size.sum()
        fit = _fit(count, size, time) if testable else _no_test(len(order))
        k1, n1, k2, n2 = count[first].sum(), size[first].sum(), count[last].sum(), size[last].sum()
        if testable:
            low, high = confint_proportions_2indep(k2, n2, k1, n1, compare="ratio", method="log-adjusted")
        else:
            low = high = np.nan
        rows.append(
            {
                "topic": topic,
                "label": labels[topic],
                **{k: fit[k] for k in ("p_value", "odds_ratio_per_year", "or_low", "or_high")},
                "share_first": k1 / n1,
                "share_last": k2 / n2,
                "papers_first": int(k1),
                "papers_last": int(k2),
                "share_ratio": (k2 / n2) / (k1 / n1) if k1 else (np.inf if k2 else np.nan),
                "ratio_low": float(low),
                "ratio_high": float(high),
                "dispersion": fit["dispersion"],
                "papers": int(count.sum()),
                "converged": fit["converged"],
                "p_last": _last_period(count, size, time) if testable else np.nan,
                "_slope": fit["slope"],
            }
        )
        share_rows.append(
            pd.DataFrame(
                {
                    "topic": topic,
                    "topic_label": labels[topic],
                    "period": order,
                    "count": count.astype(int),
                    "period_size": size.astype(int),
                    "share": count / size,
                    "fitted": fit["fitted"],
                    "fitted_low": fit["fitted_low"],
                    "fitted_high": fit["fitted_high"],
                }
            )
        )
    table = pd.DataFrame(rows)
    tested = table["p_value"].notna()
    table["q_value"] = np.nan
    if tested.any():
        table.loc[tested, "q_value"] = q_values(table.loc[tested, "p_value"])
    table["trend"] = [
        _classify(q, s, a, b, alpha) if converged else "steady"
        for q, s, a, b, converged in zip(
            table["q_value"],
            table["_slope"],
            table["share_first"],
            table["share_last"],
            table["converged"],
            strict=True,
        )
    ]
    moved = (table["p_value"] < WATCH_P) | (table["p_last"] < WATCH_P)
    table["watch"] = (table["trend"] == "steady") & table["converged"] & moved
    rank = table["trend"].map({c: i for i, c in enumerate(TREND_CLASSES)})
    table = (
        table.assign(_rank=rank)
        .assign(_watch=~table["watch"])
        .sort_values(
            ["_rank", "_watch", "q_value", "papers", "topic"],
            ascending=[True, True, True, False, True],
            na_position="last",
        )
        .drop(columns=["_rank", "_watch", "_slope"])
    )
    columns = ["topic", "label", "trend", "watch", "q_value", "p_value", "p_last", "odds_ratio_per_year", "or_low"]
    columns += ["or_high"]
    table = table[columns + [c for c in table.columns if c not in columns]].reset_index(drop=True)
    return Trends(
        table=table,
        shares=pd.concat(share_rows, ignore_index=True),
        periods=periods,
        unit=unit or period_unit(dated["period"]),
        first_part=span_of(periods["period"].iloc[first]),
        last_part=span_of(periods["period"].iloc[last]),
        new_periods=tuple(p for p in order if p in set(dated.loc[dated["is_new"], "period"]))
        if "is_new" in dated
        else (),
    )
