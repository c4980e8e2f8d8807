"""The charts people look at, defined once: Vega-Lite specs (Altair) from plain frames.

The Dagster asset pages show them as PNG pictures (``png``, rendered by
vl-convert, no browser needed); the dashboard draws the same specs
interactively. Labels and number formats are French, like the original report.
Altair is imported by the functions that draw (a third of a second): importing the
definitions, as every command line does, needs no chart.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    import altair as alt

BLUE, ORANGE, GREY, GREEN = "#1f77b4", "#ff7f0e", "#9e9e9e", "#2ca02c"
HISTORY_WEEKS = 52


def forecast_chart(history: pd.DataFrame, forecast: pd.DataFrame | None = None, *,
                   booked: pd.DataFrame | None = None, weeks: int = HISTORY_WEEKS) -> alt.LayerChart:
    """Missions per week: the last ``weeks`` completed weeks, the forecast's p10–p90 band and median, and what is booked.

    ``history``: ``week_start``, ``missions``. ``forecast`` (optional): ``week_start``,
    ``p10``, ``p50``, ``p90``. ``booked`` (optional): ``week_start``, ``already_booked``
    (the forecast's own column when it has one).
    """
    import altair as alt

    past = history.assign(week_start=pd.to_datetime(history["week_start"])).tail(weeks)
    x = alt.X("week_start:T", title="Semaine", axis=alt.Axis(format="%d/%m/%y"))
    layers = [
        alt.Chart(past).mark_line(color=BLUE, point=alt.OverlayMarkDef(size=12, color=BLUE)).encode(
            x=x, y=alt.Y("missions:Q", title="Missions"),
            tooltip=[alt.Tooltip("week_start:T", title="Semaine", format="%d/%m/%Y"),
                     alt.Tooltip("missions:Q", title="Missions réalisées")],
        )
    ]
    if forecast is not None and len(forecast):
        ahead = forecast.assign(week_start=pd.to_datetime(forecast["week_start"]))
        layers += [
            alt.Chart(ahead).mark_area(color=ORANGE, opacity=0.25).encode(x=x, y="p10:Q", y2="p90:Q"),
            alt.Chart(ahead).mark_line(color=ORANGE, strokeDash=[6, 3], point=alt.OverlayMarkDef(color=ORANGE)).encode(
                x=x, y="p50:Q",
                tooltip=[alt.Tooltip("week_start:T", title="Semaine", format="%d/%m/%Y"),
                         alt.Tooltip("p10:Q", format=".0f"), alt.Tooltip("p50:Q", format=".0f"),
                         alt.Tooltip("p90:Q", format=".0f")],
            ),
        ]
        if booked is None and "already_booked" in ahead:
            booked = ahead[["week_start", "already_booked"]]
    if booked is not None and len(booked):
        layers.append(alt.Chart(booked.assign(week_start=pd.to_datetime(booked["week_start"]))).mark_bar(
            color=GREEN, opacity=0.6, size=8).encode(
            x=x, y="already_booked:Q",
            tooltip=[alt.Tooltip("week_start:T", title="Semaine", format="%d/%m/%Y"),
                     alt.Tooltip("already_booked:Q", title="Déjà réservées")],
        ))
    title = "Missions par semaine" + (" et prévision (p10–p90, médiane ; barres : déjà réservées)"
                                      if forecast is not None and len(forecast) else
                                      " (barres : déjà réservées)" if booked is not None and len(booked) else "")
    return alt.layer(*layers).properties(title=title, width=640, height=260)


def league_chart(league: pd.DataFrame, production: str) -> alt.Chart:
    """The backtest's league table: each model's weighted quantile loss (lower is better), the production model marked."""
    import altair as alt

    table = league.assign(production=league["model"] == production)
    return alt.Chart(table).mark_bar().encode(
        x=alt.X("wql:Q", title="Perte quantile pondérée (WQL, plus bas = mieux)"),
        y=alt.Y("model:N", sort="x", title="Modèle"),
        color=alt.condition("datum.production", alt.value(ORANGE), alt.value(GREY)),
        tooltip=["model", alt.Tooltip("wql:Q", format=".3f"), alt.Tooltip("mape:Q", format=".1%"),
                 alt.Tooltip("coverage_80:Q", title="couverture 80 %", format=".0%")],
    ).properties(title="Backtest : modèles comparés (production en orange)", width=560, height=24 * len(table))


def start_renderer() -> None:
    """Start the PNG renderer now (vl-convert's JavaScript engine: half a second, once per process)."""
    import altair as alt

    png(alt.Chart(pd.DataFrame({"x": [0]})).mark_point().encode(x="x:Q"))


def png(chart: alt.TopLevelMixin) -> bytes:
    """The chart as a PNG picture, French number and date formats."""
    import vl_convert

    return vl_convert.vegalite_to_png(chart.to_json(), scale=1.5, format_locale="fr-FR", time_format_locale="fr-FR")
