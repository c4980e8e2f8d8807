"""The two pages of missions by date (passées, à venir): filters, missions per week, key figures, the rows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import altair as alt
import pandas as pd
import streamlit as st

from mission_platform.dashboard import formatting as fr
from mission_platform.dashboard import ui

ANY = "Tous"


@dataclass(frozen=True)
class MissionPage:
    relation: str
    title: str
    what: str
    past: bool                        # before the export date (passées) or from it on (à venir)
    default_days: int                 # the default period: this many days before (or from) the export date
    status_label: str
    statuses: dict[str, str]          # shown status -> SQL condition (constants, never user text)


# Status filters: constant SQL fragments chosen by the person, combined with OR.
PASSEES = MissionPage(
    relation="missions_passees",
    title="Missions passées",
    what="Missions commencées avant la date de l'export, annulées comprises (leurs montants sont nuls).",
    past=True,
    default_days=84,
    status_label="Règlement",
    statuses={"payé": "reglement = 'payé'", "en attente": "reglement = 'en attente'",
              "en retard": "reglement = 'en retard'", "non renseigné": "reglement IS NULL"},
)
A_VENIR = MissionPage(
    relation="missions_a_venir",
    title="Missions à venir",
    what="Missions réservées (non annulées) à partir de la date de l'export, affectées ou non.",
    past=False,
    default_days=56,
    status_label="Affectation",
    statuses={"affectée": "extra_id IS NOT NULL", "à affecter": "extra_id IS NULL"},
)
CANCELLED = {"Toutes": "TRUE", "Hors annulations": "annulation IS NULL", "Annulées par l'hôtel": "annulation = 'hotel'",
             "Annulées par l'extra": "annulation = 'extra'"}

COLUMNS = {
    "date_debut": ("Début", "datetime"), "date_fin": ("Fin", "datetime"), "hotel_nom": ("Hôtel", "text"),
    "hotel_ville": ("Ville", "text"), "extra_nom": ("Extra", "text"), "duree_mission": ("Durée (h)", "num1"),
    "heures_supp": ("Heures supp.", "num1"), "urgent": ("Urgente", "bool"), "annulation": ("Annulée par", "text"),
    "total_ht": ("Total HT", "euros2"), "benefice": ("Bénéfice", "euros2"), "reglement": ("Règlement", "text"),
    "mission_id": ("Mission", "text"),
}
# What the operations audience also sees of an upcoming mission (ops.missions_a_venir).
CONTACTS = {"extra_telephone": ("Tél. extra", "text"), "extra_email": ("E-mail extra", "text"),
            "hotel_adresse": ("Adresse hôtel", "text")}


def _options(ctx: ui.Context, template: str) -> dict[str, str]:
    frame = ctx.frame(template)
    return dict(zip(frame["id"], frame["nom"].fillna(frame["id"]) + " (" + frame["id"] + ")"))


def render(page: MissionPage) -> None:
    ui.header(page.title, f"{page.what} Relation : {page.relation}.")
    ctx = ui.context()
    today = ctx.today
    default = ((today - dt.timedelta(days=page.default_days), today - dt.timedelta(days=1)) if page.past
               else (today, today + dt.timedelta(days=page.default_days)))
    hotels = _options(ctx, "SELECT hotel_id AS id, hotel_nom AS nom FROM {recherche_hotels} ORDER BY hotel_nom, hotel_id")
    extras = _options(ctx, "SELECT extra_id AS id, extra_nom AS nom FROM {recherche_extras} ORDER BY extra_nom, extra_id")

    first, second, third = st.columns([2, 3, 3])
    period = first.date_input("Période (date de début)", value=default, format="DD/MM/YYYY",
                              min_value=today - dt.timedelta(days=365 * 20), max_value=today + dt.timedelta(days=365 * 5))
    start, end = period if isinstance(period, tuple) and len(period) == 2 else default
    chosen_hotels = second.multiselect("Hôtels", list(hotels), format_func=hotels.get, placeholder="Tous les hôtels")
    chosen_extras = third.multiselect("Extras", list(extras), format_func=extras.get, placeholder="Tous les extras")
    first, second, third = st.columns(3)
    statuses = first.multiselect(page.status_label, list(page.statuses), placeholder="Tous")
    urgent = second.segmented_control("Urgentes", [ANY, "oui", "non"], default=ANY)
    cancelled = third.selectbox("Annulations", list(CANCELLED)) if page.past else "Toutes"

    status_sql = " OR ".join(f"({page.statuses[s]})" for s in statuses) or "TRUE"
    where = (
        " WHERE date_debut >= %(start)s AND date_debut < %(end)s"
        " AND (%(all_hotels)s OR hotel_id = ANY(%(hotels)s))"
        " AND (%(all_extras)s OR extra_id = ANY(%(extras)s))"
        " AND (%(urgent)s::boolean IS NULL OR urgent = %(urgent)s)"
        f" AND ({status_sql}) AND ({CANCELLED[cancelled]})"
    )
    params = {
        "start": start, "end": end + dt.timedelta(days=1),
        "all_hotels": not chosen_hotels, "hotels": chosen_hotels or [""],
        "all_extras": not chosen_extras, "extras": chosen_extras or [""],
        "urgent": None if urgent in (None, ANY) else urgent == "oui",
    }
    source = "FROM {" + page.relation + "}"
    totals = ctx.frame(
        "SELECT count(*) AS missions, count(*) FILTER (WHERE annulation IS NOT NULL) AS annulees,"
        " count(*) FILTER (WHERE extra_id IS NULL) AS sans_extra,"
        " coalesce(sum(duree_mission + heures_supp) FILTER (WHERE annulation IS NULL), 0) AS heures,"
        " coalesce(sum(total_ht), 0) AS chiffre_affaires, coalesce(sum(benefice), 0) AS benefice " + source + where,
        params,
    ).iloc[0]
    ui.tiles([
        ("Missions", fr.number(totals["missions"]), f"du {fr.date(start)} au {fr.date(end)}"),
        ("Annulées" if page.past else "À affecter",
         fr.number(totals["annulees"] if page.past else totals["sans_extra"]), None),
        ("Heures", fr.number(totals["heures"]), "durées et heures supplémentaires, hors annulations"),
        ("Chiffre d'affaires HT", fr.euros_compact(totals["chiffre_affaires"]), fr.euros(totals["chiffre_affaires"], 2)),
        ("Bénéfice", fr.euros_compact(totals["benefice"]), fr.euros(totals["benefice"], 2)),
    ])

    weekly = ctx.frame(
        "SELECT date_trunc('week', date_debut)::date AS semaine, count(*) FILTER (WHERE annulation IS NULL) AS faites,"
        " count(*) FILTER (WHERE annulation IS NOT NULL) AS annulees " + source + where + " GROUP BY 1 ORDER BY 1",
        params,
    )
    st.subheader("Missions par semaine")
    if weekly.empty:
        st.info("Aucune mission ne répond à ces filtres.")
        return
    measures = {"faites": "Missions" if not page.past else "Faites"}
    if page.past:
        measures["annulees"] = "Annulées"
    ui.chart(_weekly_chart(weekly, measures))

    columns = COLUMNS
    if ctx.contacts and not page.past:  # whom to call, next to the extra's name
        at = list(COLUMNS).index("extra_nom") + 1
        columns = dict([*list(COLUMNS.items())[:at], *CONTACTS.items(), *list(COLUMNS.items())[at:]])
    rows = ctx.frame(
        "SELECT " + ", ".join(columns) + " " + source + where
        + f" ORDER BY date_debut {'DESC' if page.past else 'ASC'}, mission_id LIMIT {ui.TABLE_ROWS}",
        params,
    )
    st.subheader("Missions")
    ui.table(rows, columns)
    ui.capped(int(totals["missions"]), len(rows))


def _weekly_chart(weekly: pd.DataFrame, measures: dict[str, str]) -> alt.Chart:
    long = weekly.melt(id_vars=["semaine"], value_vars=list(measures), var_name="mesure", value_name="missions")
    long["mesure"] = long["mesure"].map(measures)
    long["semaine_texte"] = [fr.week(w) for w in long["semaine"]]
    long["semaine"] = pd.to_datetime(long["semaine"])
    # A time axis (weeks may be many), with bars as wide as the room each week has.
    width = min(40, max(2, 700 // max(1, weekly["semaine"].nunique())))
    return alt.Chart(long).mark_bar(size=width).encode(
        x=alt.X("semaine:T", title=None, axis=alt.Axis(format="%d/%m/%y", labelAngle=-45),
                scale=alt.Scale(padding=width)),  # room for the first and last bars
        y=alt.Y("missions:Q", axis=ui.COUNT_AXIS, stack="zero"),
        color=alt.Color("mesure:N", title=None, scale=ui.colors(measures.values()), legend=alt.Legend(orient="top")),
        tooltip=[alt.Tooltip("semaine_texte:N", title="Semaine"), alt.Tooltip("mesure:N", title="Mesure"),
                 alt.Tooltip("missions:Q", title="Missions")],
    ).properties(height=280)
