"""Classement hôtels."""

from mission_platform.dashboard.ranking import HOTELS, render

render(HOTELS)
