"""Recherche hôtels: the hotel directory, by name, city, software and status."""

import streamlit as st

from mission_platform.dashboard import formatting as fr
from mission_platform.dashboard import ui
from mission_platform.dashboard.search import MAX_CHARS, contains_pattern, vocabulary

COLUMNS = {"hotel_nom": ("Hôtel", "text"), "hotel_adresse": ("Adresse", "text"), "zipcode": ("Code postal", "text"),
           "hotel_ville": ("Ville", "text"), "hotel_logiciel": ("Logiciel", "text"), "nbre_chambre": ("Chambres", "int"),
           "tarif_horaire": ("Tarif horaire", "euros2"), "status": ("Statut", "text"),
           "maj_procedure": ("Procédure", "text"), "last_contact": ("Dernier contact", "date"),
           "date_de_creation": ("Créé le", "date"), "hotel_id": ("Id", "text")}

ctx = ui.context()
if ctx.contacts:
    COLUMNS = {**COLUMNS, "hotel_notes": ("Notes (contacts)", "text")}
ui.header("Recherche hôtels", "L'annuaire des hôtels ("
          + ("vrais noms, adresses et notes de contact : usage interne" if ctx.contacts
             else "noms et adresses pseudonymisés, sans notes") + "). Relation : recherche_hotels.")
vocab = ctx.frame("SELECT DISTINCT hotel_ville, hotel_logiciel, status FROM {recherche_hotels}")
first, second = st.columns([2, 3])
text = first.text_input("Nom, adresse ou identifiant", max_chars=MAX_CHARS, placeholder="ex. Relais, HOT-3")
cities = second.multiselect("Villes", vocabulary(vocab["hotel_ville"]), placeholder="Toutes")
first, second = st.columns(2)
software = first.multiselect("Logiciel", vocabulary(vocab["hotel_logiciel"]), placeholder="Tous")
statuses = second.multiselect("Statut", vocabulary(vocab["status"]), placeholder="Tous")

found = ctx.frame(
    "SELECT " + ", ".join(COLUMNS) + " FROM {recherche_hotels}"
    " WHERE (%(pattern)s::text IS NULL OR hotel_nom ILIKE %(pattern)s OR hotel_adresse ILIKE %(pattern)s"
    " OR hotel_id ILIKE %(pattern)s)"
    " AND (%(all_cities)s OR hotel_ville = ANY(%(cities)s))"
    " AND (%(all_software)s OR hotel_logiciel = ANY(%(software)s))"
    " AND (%(all_statuses)s OR status = ANY(%(statuses)s))"
    " ORDER BY hotel_nom, hotel_id",
    {"pattern": contains_pattern(text), "all_cities": not cities, "cities": cities or [""],
     "all_software": not software, "software": software or [""], "all_statuses": not statuses,
     "statuses": statuses or [""]},
)
ui.tiles([
    ("Hôtels trouvés", fr.number(len(found)), None),
    *((label, fr.number((found["status"] == value).sum()), f"statut « {value} »")
      for label, value in (("Clients", "client"), ("Prospects", "prospect"), ("Perdus", "perdu"))),
    ("Chambres", fr.number(found["nbre_chambre"].sum()), "total des hôtels trouvés"),
])
if found.empty:
    st.info("Aucun hôtel ne répond à cette recherche.")
else:
    ui.found_with_counts(found, COLUMNS, found["hotel_ville"].fillna(fr.MISSING).value_counts(),
                         title="Hôtels trouvés par ville", category="Ville", unit="Hôtels")
