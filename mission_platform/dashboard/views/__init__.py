"""The page scripts Streamlit runs, one per page (see ``app.PAGES``)."""
