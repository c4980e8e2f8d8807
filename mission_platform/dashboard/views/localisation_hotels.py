"""Localisation hôtels: hotels on a map of France, one circle per place sized by revenue; hotels with no position listed."""

import altair as alt
import streamlit as st

from mission_platform.dashboard import formatting as fr
from mission_platform.dashboard import geo, ui

ZONES = {
    # zone -> (longitude min, max, latitude min, max) of the hotels shown; None: metropolitan France and Corsica
    "France métropolitaine": None,
    "Paris et petite couronne": (2.0, 2.7, 48.65, 49.05),
}
COLUMNS = {"hotel_nom": ("Hôtel", "text"), "zipcode": ("Code postal", "text"), "hotel_ville": ("Ville", "text"),
           "lieu": ("Placé à", "text"), "precision": ("Précision", "text"), "nb_missions": ("Missions", "int"),
           "chiffre_affaires": ("Chiffre d'affaires", "euros"), "hotel_id": ("Id", "text")}

ui.header("Localisation hôtels", "Les hôtels placés d'après leur code postal (arrondissement à Paris, préfecture du "
          "département ailleurs), un cercle par lieu, de taille proportionnelle au chiffre d'affaires des missions "
          "passées. Relation : localisation_hotels.")
ctx = ui.context()
hotels = geo.locate(ctx.frame(
    "SELECT hotel_id, hotel_nom, zipcode, hotel_ville, pays, nb_missions, chiffre_affaires FROM {localisation_hotels}"
    " ORDER BY chiffre_affaires DESC NULLS LAST, hotel_id"
))
placed = hotels[hotels["precision"] != geo.UNKNOWN]
unplaced = hotels[hotels["precision"] == geo.UNKNOWN]
metropolitan = placed[placed["latitude"].between(41, 51.5) & placed["longitude"].between(-5.5, 10)]
ui.tiles([
    ("Hôtels", fr.number(len(hotels)), None),
    ("Placés sur la carte", fr.number(len(metropolitan)), "en France métropolitaine et en Corse"),
    ("Hors métropole", fr.number(len(placed) - len(metropolitan)), "placés outre-mer (listés ci-dessous)"),
    ("Sans position connue", fr.number(len(unplaced)), "code postal absent ou inconnu (listés ci-dessous)"),
])
zone = st.segmented_control("Zone", list(ZONES), default="France métropolitaine") or "France métropolitaine"
bounds = ZONES[zone]
shown = metropolitan if bounds is None else metropolitan[
    metropolitan["longitude"].between(bounds[0], bounds[1]) & metropolitan["latitude"].between(bounds[2], bounds[3])]
places = (shown.groupby(["lieu", "latitude", "longitude"], as_index=False)
          .agg(hotels=("hotel_id", "size"), chiffre_affaires=("chiffre_affaires", "sum"), missions=("nb_missions", "sum")))
places["ca_texte"] = places["chiffre_affaires"].map(fr.euros)

chart_col, table_col = st.columns([3, 2])
with chart_col:
    projection = dict(type="mercator")
    circles = alt.Chart(places).mark_circle(color="#d62728", opacity=0.6, stroke="white", strokeWidth=0.5).encode(
        longitude="longitude:Q", latitude="latitude:Q",
        size=alt.Size("chiffre_affaires:Q", scale=alt.Scale(range=[30, 2500]), legend=None),
        tooltip=[alt.Tooltip("lieu:N", title="Lieu"), alt.Tooltip("hotels:Q", title="Hôtels"),
                 alt.Tooltip("missions:Q", title="Missions faites"), alt.Tooltip("ca_texte:N", title="Chiffre d'affaires")],
    )
    if bounds is None:
        outline = alt.Chart(alt.Data(values=geo.outline_geojson()["features"])).mark_geoshape(
            fill="#eef1f5", stroke="#8a94a6", strokeWidth=0.8)
        layered = (outline + circles).project(**projection)
    else:
        layered = circles.project(**projection)
    ui.chart(layered.properties(height=560))
with table_col:
    st.markdown("**Chiffre d'affaires par lieu**")
    ui.table(places.sort_values("chiffre_affaires", ascending=False),
             {"lieu": ("Lieu", "text"), "hotels": ("Hôtels", "int"), "missions": ("Missions", "int"),
              "chiffre_affaires": ("Chiffre d'affaires", "euros")}, height=520)

st.subheader("Tous les hôtels")
listed = hotels.head(ui.TABLE_ROWS)
ui.table(listed, COLUMNS)
ui.capped(len(hotels), len(listed))
if not unplaced.empty:
    st.subheader("Hôtels sans position connue")
    ui.table(unplaced, COLUMNS)
