"""Missions à affecter: upcoming missions without an extra, soonest first, and the ranked candidates for one."""

import datetime as dt

import numpy as np
import pandas as pd
import streamlit as st

from mission_platform.dashboard import formatting as fr
from mission_platform.dashboard import ui

MISSIONS = {"date_debut": ("Début", "datetime"), "date_fin": ("Fin", "datetime"), "hotel_nom": ("Hôtel", "text"),
            "hotel_ville": ("Ville", "text"), "hotel_logiciel": ("Logiciel", "text"), "urgent": ("Urgente", "bool"),
            "duree_mission": ("Durée (h)", "num1"), "mission_id": ("Mission", "text")}
CANDIDATES = {"rang": ("Rang", "int"), "extra_nom": ("Extra", "text"), "missions_hotel": ("Missions dans cet hôtel", "int"),
              "missions_total": ("Missions au total", "int"), "disponibilites": ("Disponibilités", "text"),
              "creneau_ok": ("Disponible sur ce créneau", "bool"), "statuts": ("Statut", "text"),
              "pourquoi": ("Pourquoi ce rang", "text"), "extra_id": ("Extra (id)", "text")}


# What the operations audience also sees (ops.missions_a_affecter, ops.extras_candidats): whom to call.
MISSION_CONTACTS = {"hotel_adresse": ("Adresse", "text"), "hotel_notes": ("Notes (contacts)", "text")}
CANDIDATE_CONTACTS = {"extra_telephone": ("Téléphone", "text"), "extra_email": ("E-mail", "text")}


def slot(start: pd.Timestamp) -> tuple[str, str]:
    """The mission's part of day and kind of day, in the extras' availability words."""
    hour = start.hour
    part = "matin" if 5 <= hour < 12 else "après-midi" if 12 <= hour < 17 else "soir" if 17 <= hour < 22 else "nuit"
    return part, "week-end" if start.weekday() >= 5 else "semaine"


ui.header("Missions à affecter", "Missions à venir sans extra, les plus proches d'abord ; choisissez-en une pour voir "
          "les extras qui peuvent la prendre, les mieux placés d'abord. Relations : missions_a_affecter, extras_candidats.")
ctx = ui.context()
if ctx.contacts:
    MISSIONS = {**MISSIONS, **MISSION_CONTACTS}
    CANDIDATES = {"rang": CANDIDATES["rang"], "extra_nom": CANDIDATES["extra_nom"], **CANDIDATE_CONTACTS, **CANDIDATES}
# Candidates are read for the chosen mission only: the whole of extras_candidats crosses every mission to
# assign with every extra (over 10 minutes at 1M missions); one mission's takes seconds at that size, then is cached.
missions = ctx.frame(
    "SELECT " + ", ".join(MISSIONS) + " FROM {missions_a_affecter} ORDER BY date_debut, mission_id LIMIT %(limit)s",
    {"limit": ui.TABLE_ROWS},
)
counts = ctx.frame(
    "SELECT count(*) AS total, count(*) FILTER (WHERE date_debut < %(week_end)s) AS sept_jours,"
    " count(*) FILTER (WHERE urgent) AS urgentes FROM {missions_a_affecter}",
    {"week_end": ctx.today + dt.timedelta(days=7)},
).iloc[0]
ui.tiles([
    ("Missions à affecter", fr.number(counts["total"]), "missions à venir, non annulées, sans extra"),
    ("Dans les 7 jours", fr.number(counts["sept_jours"]), f"à partir du {fr.date(ctx.today)}"),
    ("Urgentes", fr.number(counts["urgentes"]), None),
])
if missions.empty:
    st.success("Toutes les missions à venir ont un extra.")
else:
    ui.table(missions, MISSIONS, height=300)
    ui.capped(int(counts["total"]), len(missions))
    labels = dict(zip(missions["mission_id"], pd.to_datetime(missions["date_debut"]).dt.strftime("%d/%m/%Y %H:%M")
                      + " · " + missions["hotel_nom"].fillna(fr.MISSING) + " · " + missions["mission_id"]))
    mission_id = st.selectbox("Mission", list(labels), format_func=labels.get)
    mission = missions.set_index("mission_id").loc[mission_id]
    computed = ("creneau_ok", "pourquoi")
    candidates = ctx.frame(
        "SELECT " + ", ".join(c for c in CANDIDATES if c not in computed) + ", hotel_logiciel"
        " FROM {extras_candidats} WHERE mission_id = %(mission)s ORDER BY rang",
        {"mission": mission_id},
    )
    part, day = slot(pd.Timestamp(mission["date_debut"]))
    software = mission["hotel_logiciel"]
    st.subheader(f"Candidats pour {mission_id}")
    st.markdown(
        f"**{fr.long_date(mission['date_debut'])}**, {pd.Timestamp(mission['date_debut']):%H:%M}–"
        f"{pd.Timestamp(mission['date_fin']):%H:%M} ({part}, {day}) à **{mission['hotel_nom']}**. "
        "Chaque candidat "
        + (f"maîtrise **{software}**, le logiciel de l'hôtel" if isinstance(software, str)
           else "convient quel que soit son logiciel (celui de l'hôtel n'est pas connu)")
        + ", n'est pas en congé ce jour-là, n'a pas d'autre mission qui la chevauche et n'est pas inactif. "
        "Ils sont classés par missions faites dans cet hôtel, puis par missions faites au total."
    )
    if candidates.empty:
        st.warning("Aucun extra ne remplit ces conditions pour cette mission.")
    else:
        st.metric("Candidats", fr.number(len(candidates)), help="extras qui remplissent toutes les conditions")
        words = candidates["disponibilites"].fillna("").str.lower()
        candidates["creneau_ok"] = words.str.contains(part, regex=False) & words.str.contains(day, regex=False)
        candidates["pourquoi"] = (
            candidates["missions_hotel"].map(fr.number) + " mission(s) dans cet hôtel, "
            + candidates["missions_total"].map(fr.number) + " au total"
            + np.where(candidates["creneau_ok"], "", f" ; ne s'est pas dit disponible le {part} en {day}")
        )
        ui.table(candidates, CANDIDATES)
