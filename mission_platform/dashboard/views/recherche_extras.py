"""Recherche extras: the extras directory, by name, software, availability and status."""


import pandas as pd
import streamlit as st

from mission_platform.dashboard import formatting as fr
from mission_platform.dashboard import ui
from mission_platform.dashboard.search import MAX_CHARS, contains_pattern, vocabulary

COLUMNS = {"extra_nom": ("Extra", "text"), "logiciel": ("Logiciels", "text"), "statuts": ("Statut", "text"),
           "disponibilites": ("Disponibilités", "text"), "vacance_debut": ("Congé du", "date"),
           "vacance_fin": ("au", "date"), "nbre_mission": ("Missions (Notion)", "int"),
           "date_de_creation": ("Inscrit le", "date"), "extra_id": ("Id", "text")}
CONTACTS = {"extra_telephone": ("Téléphone", "text"), "extra_email": ("E-mail", "text")}

ctx = ui.context()
if ctx.contacts:
    COLUMNS = {"extra_nom": COLUMNS["extra_nom"], **CONTACTS, **COLUMNS}
ui.header("Recherche extras", "L'annuaire des extras ("
          + ("vrais noms, téléphones et e-mails : usage interne" if ctx.contacts
             else "noms pseudonymisés, sans téléphone ni e-mail") + "). Relation : recherche_extras.")
vocab = ctx.frame("SELECT logiciel, disponibilites, statuts FROM {recherche_extras}")
left, right = st.columns([2, 3])
text = left.text_input("Nom ou identifiant", max_chars=MAX_CHARS, placeholder="ex. Martin, EXT-12")
software = right.multiselect("Maîtrise tous ces logiciels", vocabulary(vocab["logiciel"]), placeholder="Tous")
left, right = st.columns([3, 2])
availability = left.multiselect("Disponible sur tous ces créneaux", vocabulary(vocab["disponibilites"]), placeholder="Tous")
statuses = right.multiselect("Statut", vocabulary(vocab["statuts"]), placeholder="Tous")

found = ctx.frame(
    "SELECT " + ", ".join(COLUMNS) + " FROM {recherche_extras}"
    " WHERE (%(pattern)s::text IS NULL OR extra_nom ILIKE %(pattern)s OR extra_id ILIKE %(pattern)s)"
    " AND regexp_split_to_array(coalesce(logiciel, ''), '\\s*,\\s*') @> %(software)s::text[]"
    " AND regexp_split_to_array(coalesce(disponibilites, ''), '\\s*,\\s*') @> %(availability)s::text[]"
    " AND (%(all_statuses)s OR statuts = ANY(%(statuses)s))"
    " ORDER BY extra_nom, extra_id",
    {"pattern": contains_pattern(text), "software": software, "availability": availability,
     "all_statuses": not statuses, "statuses": statuses or [""]},
)
today = pd.Timestamp(ctx.today)
on_leave = (pd.to_datetime(found["vacance_debut"]).dt.normalize() <= today) & (
    pd.to_datetime(found["vacance_fin"].fillna(found["vacance_debut"])).dt.normalize() >= today)
ui.tiles([
    ("Extras trouvés", fr.number(len(found)), None),
    ("Disponibles", fr.number((found["statuts"] == "disponible").sum()), "statut « disponible »"),
    ("En mission", fr.number((found["statuts"] == "en mission").sum()), "statut « en mission »"),
    ("En congé ce jour", fr.number(on_leave.sum()), f"le {fr.date(ctx.today)}"),
])
if found.empty:
    st.info("Aucun extra ne répond à cette recherche.")
else:
    per_software = (found["logiciel"].fillna("").str.split(r"\s*,\s*", regex=True).explode().str.strip()
                    .loc[lambda s: s != ""].value_counts())
    ui.found_with_counts(found, COLUMNS, per_software, title="Extras trouvés par logiciel", category="Logiciel",
                         unit="Extras")
