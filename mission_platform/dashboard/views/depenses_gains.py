"""Dépenses et gains: realised money per month (past missions) for a year."""

import streamlit as st

from mission_platform.dashboard import formatting as fr
from mission_platform.dashboard import ui

ui.header("Dépenses et gains", "Par mois, ce que les missions passées ont rapporté et coûté. Relation : depenses_gains.")
ctx = ui.context()
every_month = ctx.frame("SELECT mois, annee, nb_missions, heures, chiffre_affaires, chiffre_affaires_ttc,"
                        " salaires_extras, benefice FROM {depenses_gains} ORDER BY mois")
years = sorted(every_month["annee"].astype(int).unique().tolist(), reverse=True)
if not years:
    st.info("Aucune mission passée dans l'entrepôt.")
else:
    year = st.selectbox("Année", years, index=0)
    months = every_month[every_month["annee"] == year].drop(columns=["annee"]).copy()
    sums = months.sum(numeric_only=True)
    ui.tiles([
        ("Chiffre d'affaires HT", fr.euros_compact(sums["chiffre_affaires"]), fr.euros(sums["chiffre_affaires"], 2)),
        ("Chiffre d'affaires TTC", fr.euros_compact(sums["chiffre_affaires_ttc"]), fr.euros(sums["chiffre_affaires_ttc"], 2)),
        ("Salaires des extras", fr.euros_compact(sums["salaires_extras"]), fr.euros(sums["salaires_extras"], 2)),
        ("Bénéfice", fr.euros_compact(sums["benefice"]), fr.euros(sums["benefice"], 2)),
        ("Heures facturées", fr.number(sums["heures"]), "durées et heures supplémentaires des missions faites"),
    ])
    ui.chart(ui.monthly_bars(months, {"chiffre_affaires": "Chiffre d'affaires HT", "salaires_extras": "Salaires des extras",
                                      "benefice": "Bénéfice"}))
    months["mois_texte"] = fr.month_labels(months["mois"])
    ui.table(months, {"mois_texte": ("Mois", "text"), "nb_missions": ("Missions", "int"), "heures": ("Heures", "num1"),
                      "chiffre_affaires": ("CA HT", "euros"), "chiffre_affaires_ttc": ("CA TTC", "euros"),
                      "salaires_extras": ("Salaires extras", "euros"), "benefice": ("Bénéfice", "euros")})
