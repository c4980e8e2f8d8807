"""Prédictions: weekly missions, the four forecast weeks with their p10–p90 band and what is already booked."""

import altair as alt
import pandas as pd
import streamlit as st

from mission_platform.dashboard import formatting as fr
from mission_platform.dashboard import ui

HISTORY_WEEKS = 52
FORECAST = {"semaine": ("Semaine", "text"), "p10": ("p10", "int"), "p50": ("p50 (médiane)", "int"), "p90": ("p90", "int"),
            "already_booked": ("Déjà réservées", "int"), "extras_needed_p50": ("Extras nécessaires (p50)", "int"),
            "extras_needed_p90": ("Extras nécessaires (p90)", "int")}

ui.header("Prédictions", "Missions par semaine (du lundi) : l'historique des semaines écoulées, et la prévision des "
          "quatre semaines à venir avec sa fourchette p10–p90 et ce qui est déjà réservé. Relation : predictions.")
ctx = ui.context()
weeks = ctx.frame(
    "SELECT week_start, actual, p10, p50, p90, already_booked, extras_needed_p50, extras_needed_p90, model, as_of_week"
    " FROM {predictions} ORDER BY week_start"
)
weeks["week_start"] = pd.to_datetime(weeks["week_start"])
forecast = weeks[weeks["p50"].notna() & weeks["actual"].isna()].copy()
past_forecasts = weeks[weeks["p50"].notna() & weeks["actual"].notna()].copy()
history = weeks[weeks["actual"].notna()].tail(HISTORY_WEEKS)

if forecast.empty:
    st.info("Pas de prévision dans l'entrepôt : l'historique est trop court pour prévoir (voir le journal du pipeline).")
else:
    as_of = forecast["as_of_week"].iloc[0]
    st.caption(f"Prévision du modèle {forecast['model'].iloc[0]}, faite la semaine du {fr.date(as_of)}.")
    ui.tiles([
        (fr.week(row.week_start), f"{fr.number(row.p50)} missions",
         f"p10–p90 : {fr.number(row.p10)}–{fr.number(row.p90)} ; déjà réservées : {fr.number(row.already_booked)}")
        for row in forecast.itertuples()
    ])

band = alt.Chart(forecast).mark_area(opacity=0.25, color="#4c78a8").encode(
    x=alt.X("week_start:T", title=None, axis=alt.Axis(format="%d/%m/%y")),
    y=alt.Y("p10:Q", title="Missions par semaine", axis=alt.Axis(labelExpr=fr.NUMBER_AXIS)),
    y2="p90:Q",
    tooltip=[alt.Tooltip("week_start:T", title="Semaine du", format="%d/%m/%Y"),
             alt.Tooltip("p10:Q", title="p10", format=".0f"), alt.Tooltip("p90:Q", title="p90", format=".0f")],
)
median = alt.Chart(forecast).mark_line(point=True, strokeDash=[6, 3], color="#4c78a8").encode(
    x="week_start:T", y="p50:Q",
    tooltip=[alt.Tooltip("week_start:T", title="Semaine du", format="%d/%m/%Y"),
             alt.Tooltip("p50:Q", title="p50", format=".0f")],
)
booked = alt.Chart(forecast).mark_bar(opacity=0.6, color="#f58518", width=14).encode(
    x="week_start:T", y="already_booked:Q",
    tooltip=[alt.Tooltip("week_start:T", title="Semaine du", format="%d/%m/%Y"),
             alt.Tooltip("already_booked:Q", title="Déjà réservées")],
)
actual = alt.Chart(history).mark_line(color="#333333").encode(
    x="week_start:T", y="actual:Q",
    tooltip=[alt.Tooltip("week_start:T", title="Semaine du", format="%d/%m/%Y"),
             alt.Tooltip("actual:Q", title="Missions faites")],
)
st.caption("Trait plein : missions faites ; tirets : prévision médiane (p50) ; bande : p10–p90 ; barres orange : déjà réservées.")
ui.chart((actual + booked + band + median).properties(height=360))

if not forecast.empty:
    st.subheader("Les quatre semaines à venir")
    forecast["semaine"] = [fr.week(w) for w in forecast["week_start"]]
    ui.table(forecast, FORECAST)

st.subheader("Prévisions passées et réalisé")
if past_forecasts.empty:
    st.caption("Aucune semaine prévue n'est encore écoulée : la relation ne garde que la dernière prévision, "
               "dont les semaines sont toutes à venir.")
else:
    past_forecasts["semaine"] = [fr.week(w) for w in past_forecasts["week_start"]]
    past_forecasts["ecart"] = (past_forecasts["actual"] - past_forecasts["p50"]) / past_forecasts["actual"].where(
        past_forecasts["actual"] != 0)
    ui.table(past_forecasts, {"semaine": ("Semaine", "text"), "actual": ("Faites", "int"), "p50": ("Prévues (p50)", "int"),
                              "p10": ("p10", "int"), "p90": ("p90", "int"), "ecart": ("Écart", "pct")})
