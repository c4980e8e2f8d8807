"""The dashboard's entry point (``streamlit run``): one page per page of the original Looker Studio report.

Each page is a script in ``views/`` served at the URL path named like its reporting
relation. A fault (warehouse empty, unreachable, a relation missing or of an older
shape) stops only the page that meets it, with one sentence saying what to do.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from mission_platform import settings
from mission_platform.dashboard.connection import DashboardError
from mission_platform.dashboard.ui import footer, show_error

VIEWS = Path(__file__).parent / "views"

# (section, title, url path = the reporting relation the page is built on, icon)
PAGES = (
    ("Activité", "Vue d'ensemble", "vue_ensemble", ":material/dashboard:"),
    ("Activité", "Dépenses et gains", "depenses_gains", ":material/euro:"),
    ("Activité", "Acquisition client", "acquisition_client", ":material/handshake:"),
    ("Missions", "Missions passées", "missions_passees", ":material/history:"),
    ("Missions", "Missions à venir", "missions_a_venir", ":material/event_upcoming:"),
    ("Missions", "Missions à affecter", "missions_a_affecter", ":material/person_search:"),
    ("Missions", "Prédictions", "predictions", ":material/trending_up:"),
    ("Extras", "Classement extras", "classement_extras", ":material/leaderboard:"),
    ("Extras", "Recherche extras", "recherche_extras", ":material/search:"),
    ("Hôtels", "Classement hôtels", "classement_hotels", ":material/hotel:"),
    ("Hôtels", "Recherche hôtels", "recherche_hotels", ":material/manage_search:"),
    ("Hôtels", "Localisation hôtels", "localisation_hotels", ":material/map:"),
)


def navigation() -> dict[str, list]:
    # The default page is served at "/" whatever its url_path: a hidden home page sends "/" on to the overview,
    # so that every page keeps its own path (/vue_ensemble included).
    sections: dict[str, list] = {"": [st.Page(VIEWS / "accueil.py", title="Accueil", default=True, visibility="hidden")]}
    for section, title, path, icon in PAGES:
        sections.setdefault(section, []).append(st.Page(VIEWS / f"{path}.py", title=title, url_path=path, icon=icon))
    return sections


def signed_out() -> bool:
    """True when a sign-in is required and this visitor has not signed in (then only the sign-in shows).

    ``MISSION_DASHBOARD_LOGIN=oidc``: every visitor signs in with the company's identity provider first
    (Streamlit's st.login; the provider in .streamlit/secrets.toml, [auth]). Blank: the proxy in front decides.
    """
    try:
        mode = settings.dashboard_login()
    except settings.ConfigurationError as exc:
        show_error(DashboardError(f"{exc}", kind="config"))
        return True
    if mode == "none":
        return False
    if st.user.get("is_logged_in"):  # absent until a provider is configured
        return False
    st.title("Tableau de bord des missions")
    st.info("Connectez-vous avec votre compte de l'entreprise pour voir le tableau de bord.")
    st.button("Se connecter", on_click=st.login, type="primary")
    return True


st.set_page_config(page_title="Tableau de bord des missions", page_icon=":material/hotel:", layout="wide")
locked = signed_out()
page = st.navigation(navigation(), position="hidden" if locked else "sidebar")
if not locked:
    try:
        page.run()
    except DashboardError as exc:
        show_error(exc)
    footer()
