"""The address "/" opens the overview at its own path."""

import streamlit as st

st.switch_page("views/vue_ensemble.py")
