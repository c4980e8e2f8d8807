"""Vue d'ensemble: the four tiles over a year and a period, revenue and profit by year and by month."""

import pandas as pd
import streamlit as st

from mission_platform.dashboard import formatting as fr
from mission_platform.dashboard import ui

PERIODS = {"Toute l'année": (1, 12), "1er trimestre": (1, 3), "2e trimestre": (4, 6), "3e trimestre": (7, 9),
           "4e trimestre": (10, 12), **{name.capitalize(): (i, i) for i, name in enumerate(fr.MONTHS, start=1)}}
MEASURES = {"chiffre_affaires": "Chiffre d'affaires", "benefice_brut": "Bénéfice brut"}

ui.header("Vue d'ensemble", "Missions passées (commencées avant la date de l'export), montants HT. Relation : vue_ensemble.")
ctx = ui.context()
# One read of the relation (a row per month): the tiles, years and months are cut from it.
months = ctx.frame("SELECT mois, annee, chiffre_affaires, benefice_brut, nb_missions_passees, rentabilite_brute"
                   " FROM {vue_ensemble} ORDER BY mois")
years = sorted(months["annee"].astype(int).unique().tolist(), reverse=True)
if not years:
    st.info("Aucune mission passée dans l'entrepôt : rien à résumer.")
else:
    left, right = st.columns(2)
    year = left.selectbox("Année", years, index=0)
    period = right.selectbox("Période", list(PERIODS), index=0)
    first, last = PERIODS[period]
    month_number = pd.to_datetime(months["mois"]).dt.month
    chosen = months[(months["annee"] == year) & month_number.between(first, last)]
    revenue, profit = chosen["chiffre_affaires"].sum(), chosen["benefice_brut"].sum()
    ui.tiles([
        ("Chiffre d'affaires", fr.euros_compact(revenue), f"{fr.euros(revenue, 2)} HT, {period.lower()} {year}"),
        ("Bénéfice brut", fr.euros_compact(profit), f"{fr.euros(profit, 2)} : chiffre d'affaires moins salaires des extras"),
        ("Missions passées", fr.number(chosen["nb_missions_passees"].sum()), "missions faites, hors annulations"),
        ("Rentabilité brute", fr.percent(profit / revenue if revenue else None), "bénéfice brut / chiffre d'affaires"),
    ])

    by_year = months.groupby("annee", as_index=False)[list(MEASURES) + ["nb_missions_passees"]].sum()
    by_year["rentabilite_brute"] = by_year["benefice_brut"] / by_year["chiffre_affaires"].where(by_year["chiffre_affaires"] != 0)
    st.subheader("Par année")
    chart_col, table_col = st.columns([3, 2])
    with chart_col:
        ui.chart(ui.monthly_bars(by_year, MEASURES, period="annee", label=lambda s: s.astype(int).astype(str)))
    with table_col:
        ui.table(by_year, {"annee": ("Année", "text"), "chiffre_affaires": ("Chiffre d'affaires", "euros"),
                           "benefice_brut": ("Bénéfice brut", "euros"), "nb_missions_passees": ("Missions", "int"),
                           "rentabilite_brute": ("Rentabilité", "pct")}, key="par_annee")

    by_month = months[months["annee"] == year].copy()
    st.subheader(f"Par mois en {year}")
    chart_col, table_col = st.columns([3, 2])
    with chart_col:
        ui.chart(ui.monthly_bars(by_month, MEASURES))
    with table_col:
        by_month["mois_texte"] = fr.month_labels(by_month["mois"])
        ui.table(by_month, {"mois_texte": ("Mois", "text"), "chiffre_affaires": ("Chiffre d'affaires", "euros"),
                            "benefice_brut": ("Bénéfice brut", "euros"), "nb_missions_passees": ("Missions", "int"),
                            "rentabilite_brute": ("Rentabilité", "pct")}, key="par_mois")
