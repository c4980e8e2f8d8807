"""Missions passées."""

from mission_platform.dashboard.missions import PASSEES, render

render(PASSEES)
