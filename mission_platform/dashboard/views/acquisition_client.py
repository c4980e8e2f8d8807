"""Acquisition client: hotels created per month (by their current status) and hotels' first missions."""

import streamlit as st

from mission_platform.dashboard import formatting as fr
from mission_platform.dashboard import ui

ALL_YEARS = "Toutes"

ui.header("Acquisition client", "Par mois, les hôtels entrés dans la base (selon leur statut actuel) et les hôtels "
          "dont la première mission a eu lieu. Relation : acquisition_client.")
ctx = ui.context()
every_month = ctx.frame("SELECT mois, annee, nouveaux_hotels, nouveaux_clients, nouveaux_prospects, nouveaux_perdus,"
                        " premieres_missions FROM {acquisition_client} ORDER BY mois")
years = sorted(every_month["annee"].astype(int).unique().tolist(), reverse=True)
if not years:
    st.info("Aucun hôtel daté dans l'entrepôt.")
else:
    year = st.selectbox("Année", [ALL_YEARS, *years], index=1)
    months = (every_month if year == ALL_YEARS else every_month[every_month["annee"] == year]).drop(columns=["annee"]).copy()
    sums = months.sum(numeric_only=True)
    ui.tiles([
        ("Nouveaux hôtels", fr.number(sums["nouveaux_hotels"]), "hôtels créés dans la base sur la période"),
        ("dont clients aujourd'hui", fr.number(sums["nouveaux_clients"]), "statut actuel « client »"),
        ("Premières missions", fr.number(sums["premieres_missions"]), "hôtels dont la première mission faite tombe sur la période"),
        ("Conversion", fr.percent(sums["nouveaux_clients"] / sums["nouveaux_hotels"] if sums["nouveaux_hotels"] else None),
         "nouveaux hôtels devenus clients"),
    ])
    left, right = st.columns(2)
    with left:
        st.markdown("**Nouveaux hôtels, par statut actuel**")
        ui.chart(ui.monthly_bars(months, {"nouveaux_clients": "Clients", "nouveaux_prospects": "Prospects",
                                          "nouveaux_perdus": "Perdus"}, euros=False, stacked=True))
    with right:
        st.markdown("**Premières missions**")
        ui.chart(ui.monthly_bars(months, {"premieres_missions": "Premières missions"}, euros=False))
    months["mois_texte"] = fr.month_labels(months["mois"])
    ui.table(months, {"mois_texte": ("Mois", "text"), "nouveaux_hotels": ("Nouveaux hôtels", "int"),
                      "nouveaux_clients": ("Clients", "int"), "nouveaux_prospects": ("Prospects", "int"),
                      "nouveaux_perdus": ("Perdus", "int"), "premieres_missions": ("Premières missions", "int")})
