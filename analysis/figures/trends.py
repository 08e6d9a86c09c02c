"""Trend figures: each topic's share per period as small multiples with its fitted trend, and the ranked
effect sizes. Both take :class:`analysis.trends.Trends`."""

from __future__ import annotations

import math

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from analysis.figures.theme import bounded, escaped_short, finish, in_template
from analysis.trends import ALPHA, TREND_CLASSES, Trends, span_of

TREND_COLOURS = {
    "emerging": "#b2182b",
    "rising": "#ef8a62",
    "falling": "#67a9cf",
    "fading": "#2166ac",
    "steady": "#9e9e9e",
}
# Top right of the whole figure, beside the title: never over a panel's own title.
COLUMNS = 4
NEW_SHADE = "rgba(253, 212, 158, 0.45)"  # the periods an update added
MAX_PANELS = 32  # topics; the steadiest small ones beyond this are left out (and the subtitle says so)


def _rgba(hex_colour: str, alpha: float) -> str:
    red, green, blue = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"


def _span(trends: Trends) -> str:
    return f"{trends.span}, {len(trends.periods)} {trends.unit}s"


def _log_ticks(values) -> list[float]:
    """Ticks for a log axis over ``values``: 1-2-5 steps, or only powers of ten (and 1) when those are too
    many; never the bare "2" and "5" Plotly writes between decades."""
    finite = [v for v in values.ravel() if v == v and 0 < v < math.inf]
    if not finite:
        return [1]
    low, high = min(finite + [1]), max(finite + [1])
    steps = [m * 10.0**e for e in range(-6, 7) for m in (1, 2, 5)]
    ticks = [t for t in steps if low / 1.5 <= t <= high * 1.5]
    if len(ticks) > 9:
        ticks = [t for t in ticks if math.log10(t).is_integer()]
    return ticks


def topics_over_time(trends: Trends) -> go.Figure:
    """One small panel per topic, significant trends first: the topic's share of each period's papers (dots,
    sized by the period's papers), the fitted quasi-binomial trend (line) and its 95% band. Panels are coloured
    by trend class; steady topics are grey."""
    table = trends.table.head(MAX_PANELS)
    rows = max(1, math.ceil(len(table) / COLUMNS))
    titles = [f"{escaped_short(label, 30)}" for label in table["label"]]
    figure = make_subplots(
        rows=rows,
        cols=COLUMNS,
        subplot_titles=titles,
        shared_xaxes=True,
        vertical_spacing=min(0.3 / rows, 0.9 / max(rows - 1, 1)),  # plotly #2026: at most 1/(rows-1)
        horizontal_spacing=0.05,
    )
    seen = set()
    size = trends.periods.set_index("period")["papers"]
    for index, row in enumerate(table.itertuples(index=False)):
        r, c = index // COLUMNS + 1, index % COLUMNS + 1
        series = trends.shares[trends.shares["topic"] == row.topic]
        colour = TREND_COLOURS[row.trend]
        x = series["period"].tolist()
        if series["fitted"].notna().all():
            figure.add_scatter(
                x=x + x[::-1],
                y=series["fitted_high"].tolist() + series["fitted_low"].tolist()[::-1],
                fill="toself",
                fillcolor=_rgba(colour, 0.18),
                line={"width": 0},
                hoverinfo="skip",
                showlegend=False,
                row=r,
                col=c,
            )
            figure.add_scatter(
                x=x,
                y=series["fitted"],
                mode="lines",
                line={"color": colour, "width": 2.5},
                name=row.trend,
                legendgroup=row.trend,
                showlegend=row.trend not in seen,
                hoverinfo="skip",
                row=r,
                col=c,
            )
            seen.add(row.trend)
        figure.add_scatter(
            x=x,
            y=series["share"],
            mode="markers",
            marker={"color": colour, "size": 4 + 6 * (series["period_size"] / size.max()) ** 0.5, "opacity": 0.7},
            customdata=series[["count", "period_size"]].to_numpy(),
            hovertemplate=in_template(escaped_short(row.label, 40))
            + "<br>%{x}: %{y:.1%} (%{customdata[0]} of %{customdata[1]} papers)<extra></extra>",
            showlegend=False,
            row=r,
            col=c,
        )
    figure.update_yaxes(tickformat=".0%", rangemode="tozero", nticks=4)
    periods = trends.periods["period"].tolist()
    ends = list(dict.fromkeys([periods[0], periods[len(periods) // 2], periods[-1]])) if periods else []
    # first, middle and last period under every panel: panels stay readable at 800 px, whatever the span
    figure.update_xaxes(type="category", tickvals=ends, tickangle=0, showticklabels=True, tickfont={"size": 10})
    figure.update_annotations(font={"size": 12})
    new = ""
    if trends.new_periods:  # an update: shade the periods it added, in every panel
        first, last = periods.index(trends.new_periods[0]), periods.index(trends.new_periods[-1])
        figure.add_vrect(
            x0=first - 0.5, x1=last + 0.5, fillcolor=NEW_SHADE, line_width=0, layer="below", row="all", col="all"
        )
        # in the title: a second subtitle line would run into the first row of panel titles
        new = f"; shaded: new since the saved topics ({span_of(trends.new_periods)})"
    left_out = len(trends.table) - len(table)
    subtitle = (
        f"share of each {trends.unit}'s papers (dots) with the fitted trend and its 95% band; "
        f"coloured if q < {ALPHA}" + (f"; {left_out} steady topics not shown" if left_out else "")
    )
    return finish(figure, f"Topics over time, {_span(trends)}{new}", subtitle, height=bounded(200 * rows + 150))


def trend_changes(trends: Trends, *, level: str = "topics") -> go.Figure:
    """Every topic's trend as an odds ratio of its share per year, with its 95% interval (log axis), ranked;
    filled markers for significant trends (q < ``ALPHA``). ``level`` names the topics in the title."""
    table = trends.table.dropna(subset=["odds_ratio_per_year"]).sort_values("odds_ratio_per_year", kind="stable")
    figure = go.Figure()
    for trend in TREND_CLASSES:
        part = table[table["trend"] == trend]
        if part.empty:
            continue
        figure.add_scatter(
            x=part["odds_ratio_per_year"],
            y=[escaped_short(label, 40) for label in part["label"]],
            mode="markers",
            name=trend,
            marker={
                "color": TREND_COLOURS[trend],
                "size": 11,
                "symbol": "circle" if trend != "steady" else "circle-open",
                "line": {"width": 1.5, "color": TREND_COLOURS[trend]},
            },
            error_x={
                "type": "data",
                "symmetric": False,
                "array": part["or_high"] - part["odds_ratio_per_year"],
                "arrayminus": part["odds_ratio_per_year"] - part["or_low"],
                "color": TREND_COLOURS[trend],
                "thickness": 1.5,
            },
            customdata=part[["share_first", "share_last", "q_value"]].to_numpy(),
            hovertemplate="%{y}<br>×%{x:.2f} per year<br>share %{customdata[0]:.1%} → %{customdata[1]:.1%}"
            "<br>q = %{customdata[2]:.2g}<extra></extra>",
        )
    figure.add_vline(x=1, line={"color": "#555", "width": 1, "dash": "dot"})
    ticks = _log_ticks(table[["or_low", "odds_ratio_per_year", "or_high"]].to_numpy())
    figure.update_layout(
        xaxis={
            "type": "log",
            "title": "odds of the topic's share, × per year (95% interval)",
            "tickvals": ticks,
            "ticktext": [f"{tick:g}" for tick in ticks],
        },
        yaxis={
            "automargin": True,
            "categoryorder": "array",
            "categoryarray": [escaped_short(x, 40) for x in table["label"]],
        },
    )
    return finish(
        figure,
        f"Which {level} grew or shrank, {_span(trends)}",
        f"right of 1: a growing share; filled: a trend with Benjamini–Hochberg q < {ALPHA}; "
        f"first third {trends.first_part}, last third {trends.last_part}",
        height=bounded(26 * len(table) + 200),
    )
