"""Classement extras."""

from mission_platform.dashboard.ranking import EXTRAS, render

render(EXTRAS)
