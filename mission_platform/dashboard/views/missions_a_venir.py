"""Missions à venir."""

from mission_platform.dashboard.missions import A_VENIR, render

render(A_VENIR)
