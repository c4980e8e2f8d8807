"""The public-demo profile's money: scaled so that what is shown cannot be turned back into the real figures.

A single secret coefficient per side is not enough: the real hourly rates lie
on a 0.5 € grid, so scaled rates betray the coefficient to a grid search
(1.3791 was recovered as 1.37905 from the reporting relations). Here every
amount a rate or pay produces is scaled by the side's coefficient times a
keyed factor of its own hotel (rates billed, the overtime rate) or extra (pay;
the mission, while no extra is assigned), drawn in ``1 ± SPREAD`` from
HMAC(key, seed, id), then rounded back onto the 0.5 € grid: every figure
shown is a plausible real one, and no single coefficient explains them.

The factors are a function of the key, the profile's seed and the id, so a
hotel's figures are the same in every run and export; a new key or seed draws
new ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from mission_platform.keyed import keyed_uniform
from mission_platform.settings import DemoProfile

GRID = 0.5      # € per hour: the grid real rates and pay lie on
SPREAD = 0.08   # each hotel's or extra's own factor lies in [1 - SPREAD, 1 + SPREAD]


@dataclass(frozen=True)
class MoneyScale:
    """How the public-demo profile scales hourly money; the identity when the profile is off."""

    key: bytes
    profile: DemoProfile

    def _scaled(self, per_hour: pd.Series | np.ndarray, ids: pd.Series, side: str, coeff: float) -> np.ndarray:
        values = np.asarray(per_hour, dtype=float)
        if not self.profile.enabled:
            return values
        factor = 1 + SPREAD * (2 * keyed_uniform(self.key, f"public-demo-scale\x1f{self.profile.seed}\x1f{side}",
                                                 ids.astype("string")) - 1)
        return np.round(values * coeff * factor / GRID) * GRID

    def hotel(self, per_hour, hotel_ids: pd.Series) -> np.ndarray:
        """Hourly amounts billed to hotels (rates, the overtime rate), per row's hotel."""
        return self._scaled(per_hour, hotel_ids, "hotel", self.profile.hotel_coeff)

    def extra(self, per_hour, extra_ids: pd.Series, mission_ids: pd.Series) -> np.ndarray:
        """Hourly pay of extras, per row's extra; a mission not yet assigned stands for its future extra."""
        if not self.profile.enabled:
            return np.asarray(per_hour, dtype=float)
        payee = extra_ids.astype("string").fillna("mission " + mission_ids.astype("string"))
        return self._scaled(per_hour, payee, "extra", self.profile.extra_coeff)


OFF = MoneyScale(key=b"", profile=DemoProfile(enabled=False))
