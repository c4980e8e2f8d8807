"""Recherche hôtels: the hotel directory, by name, city, software and status."""

import altair as alt
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
    chart_col, table_col = st.columns([1, 3])
    with chart_col:
        per_city = found["hotel_ville"].fillna(fr.MISSING).value_counts().rename_axis("ville").reset_index(name="hotels")
        st.markdown("**Hôtels trouvés par ville**")
        ui.chart(alt.Chart(per_city).mark_bar().encode(
            y=alt.Y("ville:N", sort="-x", axis=ui.name_axis()), x=alt.X("hotels:Q", axis=ui.COUNT_AXIS),
            tooltip=[alt.Tooltip("ville:N", title="Ville"), alt.Tooltip("hotels:Q", title="Hôtels")],
        ).properties(height=max(150, 26 * len(per_city))))
    with table_col:
        shown = found.head(ui.TABLE_ROWS)
        ui.table(shown, COLUMNS)
        ui.capped(len(found), len(shown))
