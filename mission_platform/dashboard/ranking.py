"""The two ranking pages (extras, hotels): sort by a measure, the top of the list as bars, the whole ranking."""

from __future__ import annotations

from dataclasses import dataclass

import altair as alt
import streamlit as st

from mission_platform.dashboard import formatting as fr
from mission_platform.dashboard import ui


@dataclass(frozen=True)
class Ranking:
    relation: str
    title: str
    what: str
    name: str                              # the column naming a row (pseudonymised name)
    measures: dict[str, tuple[str, str]]   # sortable column -> (French label, format kind); constants only
    columns: dict[str, tuple[str, str]]    # the table


def render(page: Ranking) -> None:
    ui.header(page.title, f"{page.what} Relation : {page.relation}.")
    ctx = ui.context()
    left, middle, right = st.columns([2, 1, 1])
    measure = left.selectbox("Classer par", list(page.measures), format_func=lambda c: page.measures[c][0])
    ascending = middle.segmented_control("Ordre", ["décroissant", "croissant"], default="décroissant") == "croissant"
    top = right.slider("Barres", min_value=5, max_value=50, value=15, step=5)
    # ``measure`` is one of the page's own column names (a selectbox over constants), never typed text.
    rows = ctx.frame(
        "SELECT " + ", ".join(page.columns) + " FROM {" + page.relation + "}"
        + f" ORDER BY {measure} {'ASC' if ascending else 'DESC'} NULLS LAST, {page.name}"
    )
    rows.insert(0, "rang", range(1, len(rows) + 1))
    label, kind = page.measures[measure]
    summary = {
        "chiffre_affaires": ("Chiffre d'affaires total", fr.euros_compact(rows["chiffre_affaires"].sum())),
        "benefice": ("Bénéfice total", fr.euros_compact(rows["benefice"].sum())),
        "nb_missions": ("Missions faites", fr.number(rows["nb_missions"].sum())),
    }
    ui.tiles([
        ("Lignes classées", fr.number(len(rows)), None),
        ("Avec au moins une mission", fr.number((rows["nb_missions"] > 0).sum()), "missions faites, hors annulations"),
        *((title, value, "toutes missions passées") for title, value in summary.values()),
    ])
    st.subheader(f"Les {top} premiers par {label.lower()}")
    head = rows.head(top).copy()
    head["valeur_texte"] = head[measure].map(ui.FORMATS[kind])
    axis = ui.EURO_AXIS if kind.startswith("euros") else (
        alt.Axis(format="%", title=None) if kind == "pct" else ui.COUNT_AXIS)
    ui.chart(alt.Chart(head).mark_bar().encode(
        y=alt.Y(f"{page.name}:N", sort=None, axis=ui.name_axis()),
        x=alt.X(f"{measure}:Q", axis=axis),
        tooltip=[alt.Tooltip(f"{page.name}:N", title="Nom"), alt.Tooltip("valeur_texte:N", title=label)],
    ).properties(height=max(200, 26 * len(head))))
    st.subheader("Classement")
    shown = rows.head(ui.TABLE_ROWS)
    ui.table(shown, {"rang": ("Rang", "int"), **page.columns})
    ui.capped(len(rows), len(shown))


EXTRAS = Ranking(
    relation="classement_extras",
    title="Classement extras",
    what="Par extra : missions faites, heures, chiffre d'affaires et bénéfice générés (missions passées), "
         "annulations de son fait (toutes dates).",
    name="extra_nom",
    measures={"nb_missions": ("Missions faites", "int"), "heures": ("Heures", "num1"),
              "chiffre_affaires": ("Chiffre d'affaires", "euros"), "benefice": ("Bénéfice", "euros"),
              "annulations_extra": ("Annulations", "int")},
    columns={"extra_nom": ("Extra", "text"), "statuts": ("Statut", "text"), "nb_missions": ("Missions", "int"),
             "heures": ("Heures", "num1"), "heures_supp": ("Heures supp.", "num1"),
             "chiffre_affaires": ("Chiffre d'affaires", "euros"), "benefice": ("Bénéfice", "euros"),
             "annulations_extra": ("Annulations", "int"), "extra_id": ("Id", "text")},
)
HOTELS = Ranking(
    relation="classement_hotels",
    title="Classement hôtels",
    what="Par hôtel : missions faites, chiffre d'affaires, bénéfice et rentabilité (missions passées), "
         "annulations de son fait (toutes dates).",
    name="hotel_nom",
    measures={"chiffre_affaires": ("Chiffre d'affaires", "euros"), "benefice": ("Bénéfice", "euros"),
              "rentabilite": ("Rentabilité", "pct"), "nb_missions": ("Missions faites", "int"),
              "annulations_hotel": ("Annulations", "int")},
    columns={"hotel_nom": ("Hôtel", "text"), "hotel_ville": ("Ville", "text"), "status": ("Statut", "text"),
             "nb_missions": ("Missions", "int"), "chiffre_affaires": ("Chiffre d'affaires", "euros"),
             "benefice": ("Bénéfice", "euros"), "rentabilite": ("Rentabilité", "pct"),
             "annulations_hotel": ("Annulations", "int"), "hotel_id": ("Id", "text")},
)
