"""Prédictions: weekly missions, the four forecast weeks with their p10–p90 band and what is already booked."""

import pandas as pd
import streamlit as st

from mission_platform.charts import forecast_chart
from mission_platform.dashboard import formatting as fr
from mission_platform.dashboard import ui

HISTORY_WEEKS = 52
FORECAST = {"semaine": ("Semaine", "text"), "p10": ("p10", "int"), "p50": ("p50 (médiane)", "int"), "p90": ("p90", "int"),
            "already_booked": ("Déjà réservées", "int"), "extras_needed_p50": ("Extras nécessaires (p50)", "int"),
            "extras_needed_p90": ("Extras nécessaires (p90)", "int"),
            "extras_to_find_p50": ("Extras à trouver (p50)", "int"), "extras_to_find_p90": ("Extras à trouver (p90)", "int")}
HORIZONS = (1, 2, 3, 4)

ui.header("Prédictions", "Missions par semaine (du lundi) : l'historique des semaines écoulées, et la prévision des "
          "quatre semaines à venir avec sa fourchette p10–p90 et ce qui est déjà réservé. Relation : predictions.")
ctx = ui.context()
weeks = ctx.frame(
    "SELECT week_start, actual, p10, p50, p90, already_booked, extras_needed_p50, extras_needed_p90, model, as_of_week,"
    " extras_to_find_p50, extras_to_find_p90, p50_h1, p50_h2, p50_h3, p50_h4, erreur_h1, erreur_h2, erreur_h3, erreur_h4"
    " FROM {predictions} ORDER BY week_start"
)
weeks["week_start"] = pd.to_datetime(weeks["week_start"])
forecast = weeks[weeks["p50"].notna() & weeks["actual"].isna()].copy()
# Completed weeks that a past forecast covered, 1 to 4 weeks ahead.
past_forecasts = weeks[weeks["actual"].notna() & weeks[[f"p50_h{h}" for h in HORIZONS]].notna().any(axis=1)].copy()
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

# The same chart as the forecast's page in the Dagster UI (mission_platform.charts).
ui.chart(forecast_chart(history.rename(columns={"actual": "missions"}), forecast).properties(height=320))

if not forecast.empty:
    st.subheader("Les quatre semaines à venir")
    forecast["semaine"] = [fr.week(w) for w in forecast["week_start"]]
    ui.table(forecast, FORECAST)

st.subheader("Prévisions passées et réalisé")
if past_forecasts.empty:
    st.caption("Aucune semaine prévue n'est encore écoulée : les prévisions passées se comparent au réalisé dès "
               "que leurs semaines sont terminées.")
else:
    errors = [
        (f"{h} semaine{'s' if h > 1 else ''} avant", fr.percent(past_forecasts[f"erreur_h{h}"].mean()),
         f"erreur moyenne de la médiane sur {int(past_forecasts[f'erreur_h{h}'].notna().sum())} semaines")
        for h in HORIZONS if past_forecasts[f"erreur_h{h}"].notna().any()
    ]
    if errors:
        ui.tiles(errors)
    past_forecasts["semaine"] = [fr.week(w) for w in past_forecasts["week_start"]]
    columns = {"semaine": ("Semaine", "text"), "actual": ("Faites", "int")}
    for h in HORIZONS:
        columns[f"p50_h{h}"] = (f"Prévues {h} sem. avant (p50)", "int")
        columns[f"erreur_h{h}"] = (f"Erreur à {h} sem.", "pct")
    ui.table(past_forecasts.sort_values("week_start", ascending=False), columns)
