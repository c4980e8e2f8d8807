"""The public-demo profile: a stable sample of hotels and extras, and hotel-side money scaled.

A hotel or extra is in the sample when the keyed hash of its Notion unique ID
(with the profile's seed) falls below ``sample_fraction``: the decision is per
ID, so the same hotel stays in or out in every export and run, whatever else
the export holds, and raising the fraction only adds people. Changing the key
or the seed draws another sample.

Rows kept:

- hotels and extras: those whose ID is sampled; a row without an ID (set
  aside) cannot be placed and is dropped;
- missions: those whose hotel is a sampled hotel and whose extra is a
  sampled extra or absent (no relation at all). A mission whose hotel or
  extra could not be resolved (set aside, ``hotel_id``/``extra_id`` null while
  the relation cell is not empty) may concern someone outside the sample, so
  it is dropped: the warehouse's ``rejected_rows`` then holds nothing about
  people outside the sample either.

Money: the rates billed to hotels (missions ``hourly_rate`` and
``urgent_rate``, hotels ``hourly_rate``) are scaled by ``hotel_coeff`` and a
keyed factor of their hotel, then rounded onto the rates' grid
(``public_demo.MoneyScale``: the figures cannot be turned back into real
ones). The extras' pay and the overtime rate are computed, and scaled the same
way, in the warehouse.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mission_platform.keyed import keyed_digests
from mission_platform.public_demo import MoneyScale
from mission_platform.settings import DemoProfile

HOTEL_RATE_COLUMNS: dict[str, tuple[str, ...]] = {
    "missions": ("hourly_rate", "urgent_rate"),
    "hotels": ("hourly_rate",),
    "extras": (),
}


def in_sample(ids: pd.Series, *, source: str, key: bytes, profile: DemoProfile) -> np.ndarray:
    """Per row: is this ID in the demo sample? (null IDs are not)."""
    distinct = pd.unique(ids.dropna().astype(str))
    digests = keyed_digests(key, [f"public-demo\x1f{profile.seed}\x1f{source}\x1f{i}" for i in distinct])
    uniform = digests[:, 0] / np.float64(2**64) if len(distinct) else np.empty(0)
    chosen = pd.Index(distinct[uniform < profile.sample_fraction])
    return ids.astype("string").isin(chosen).fillna(False).to_numpy(dtype=bool)


def _blank(series: pd.Series) -> np.ndarray:
    return series.astype("string").str.strip().fillna("").eq("").to_numpy(dtype=bool)


def apply_demo_profile(
    frames: dict[str, pd.DataFrame], *, key: bytes, profile: DemoProfile
) -> tuple[dict[str, pd.DataFrame], dict[str, int]]:
    """The frames restricted to the sample, hotel rates scaled; and the rows dropped per source."""
    hotels, extras, missions = frames["hotels"], frames["extras"], frames["missions"]
    keep = {
        "hotels": in_sample(hotels["hotel_id"], source="hotels", key=key, profile=profile),
        "extras": in_sample(extras["extra_id"], source="extras", key=key, profile=profile),
    }
    no_extra = missions["extra_id"].isna().to_numpy() & _blank(missions["extra_title"]) & _blank(missions["extra_page_id"])
    keep["missions"] = in_sample(missions["hotel_id"], source="hotels", key=key, profile=profile) & (
        no_extra | in_sample(missions["extra_id"], source="extras", key=key, profile=profile)
    )
    scale = MoneyScale(key=key, profile=profile)
    out = {}
    for source, frame in frames.items():
        frame = frame[keep[source]].reset_index(drop=True)
        out[source] = frame.assign(**{c: scale.hotel(frame[c], frame["hotel_id"]) for c in HOTEL_RATE_COLUMNS[source]})
    return out, {source: int((~keep[source]).sum()) for source in frames}
