"""Positions of hotels from their postal code, with data shipped in the package (nothing fetched).

``data/positions.csv`` holds the prefecture of every département (metropolitan and
overseas) and the centre of each Paris arrondissement, where most hotels are. A postal
code is placed at its arrondissement when one is known, else at its département; a code
that is not a French postal code has no position, and the page lists that hotel apart.
"""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files

import numpy as np
import pandas as pd

POSITIONS = files("mission_platform.dashboard").joinpath("data/positions.csv")

# Precision of a position, as the page shows it.
BY_POSTAL_CODE = "code postal"
BY_DEPARTEMENT = "département"
UNKNOWN = "inconnue"

# A simplified outline of metropolitan France and Corsica (longitude, latitude), drawn under the hotels.
MAINLAND = (
    (2.55, 51.09), (3.15, 50.78), (4.17, 50.28), (4.83, 50.15), (4.87, 49.80), (5.81, 49.55), (6.37, 49.47),
    (7.05, 49.12), (8.23, 48.97), (7.80, 48.59), (7.58, 48.03), (7.59, 47.59), (6.95, 47.45), (6.45, 46.95),
    (6.11, 46.43), (6.78, 46.40), (7.04, 45.93), (6.85, 45.83), (7.12, 45.25), (6.88, 44.53), (7.71, 44.06),
    (7.53, 43.78), (6.93, 43.53), (6.20, 43.10), (5.37, 43.21), (4.65, 43.36), (3.85, 43.47), (3.08, 43.07),
    (3.17, 42.44), (2.53, 42.43), (1.72, 42.50), (0.67, 42.84), (-0.31, 42.84), (-1.78, 43.36), (-1.53, 43.49),
    (-1.25, 44.62), (-1.17, 45.60), (-1.20, 46.17), (-2.00, 46.75), (-2.20, 47.25), (-2.78, 47.49), (-3.42, 47.70),
    (-4.37, 47.80), (-4.73, 48.10), (-4.77, 48.42), (-4.30, 48.66), (-3.52, 48.75), (-2.60, 48.57), (-1.95, 48.66),
    (-1.52, 48.63), (-1.60, 49.00), (-1.94, 49.72), (-1.26, 49.69), (-1.12, 49.35), (-0.22, 49.30), (0.16, 49.47),
    (1.08, 49.93), (1.58, 50.21), (1.60, 50.73), (1.85, 50.96), (2.55, 51.09),
)
CORSICA = (
    (9.40, 43.01), (9.56, 42.55), (9.40, 41.96), (9.22, 41.37), (8.80, 41.57), (8.60, 41.90), (8.60, 42.31),
    (9.00, 42.65), (9.40, 43.01),
)


def outline_geojson() -> dict:
    """The outline as a GeoJSON FeatureCollection, for a chart's base layer."""
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"nom": name},
             "geometry": {"type": "Polygon", "coordinates": [[list(point) for point in ring]]}}
            for name, ring in (("France métropolitaine", MAINLAND), ("Corse", CORSICA))
        ],
    }


@lru_cache(maxsize=1)
def positions() -> pd.DataFrame:
    with POSITIONS.open(encoding="utf-8") as handle:
        return pd.read_csv(handle, dtype={"code": str, "niveau": str, "nom": str})


def departement(zipcodes: pd.Series) -> pd.Series:
    """The département code of each postal code (``75008`` → ``75``, ``20090`` → ``2A``, ``97400`` → ``974``)."""
    codes = zipcodes.astype("string").str.strip().str.replace(r"\s+", "", regex=True)
    valid = codes.str.fullmatch(r"\d{5}").fillna(False).to_numpy(dtype=bool)
    two, three = codes.str[:2], codes.str[:3]
    corsica_south = three.isin(["200", "201"]).to_numpy(dtype=bool)
    choice = np.select(
        [~valid, two.eq("97").fillna(False).to_numpy(dtype=bool), two.eq("20").fillna(False).to_numpy(dtype=bool)],
        [None, three.to_numpy(dtype=object), np.where(corsica_south, "2A", "2B")],
        default=two.to_numpy(dtype=object),
    )
    return pd.Series(choice, index=zipcodes.index, dtype=object)


def locate(hotels: pd.DataFrame, zipcode: str = "zipcode") -> pd.DataFrame:
    """``hotels`` with ``latitude``, ``longitude``, ``lieu`` and ``precision`` from their postal code."""
    table = positions()
    by_code = table[table["niveau"] == "code_postal"].set_index("code")
    by_dep = table[table["niveau"] == "departement"].set_index("code")
    codes = hotels[zipcode].astype("string").str.strip()
    deps = departement(hotels[zipcode])
    out = hotels.copy()
    exact = codes.map(by_code["latitude"]).notna().to_numpy()
    out["latitude"] = np.where(exact, codes.map(by_code["latitude"]), deps.map(by_dep["latitude"]))
    out["longitude"] = np.where(exact, codes.map(by_code["longitude"]), deps.map(by_dep["longitude"]))
    out["lieu"] = np.where(exact, codes.map(by_code["nom"]), deps.map(by_dep["nom"]))
    known = pd.notna(out["latitude"]).to_numpy()
    out["precision"] = np.select([exact, known], [BY_POSTAL_CODE, BY_DEPARTEMENT], default=UNKNOWN)
    out["latitude"] = pd.to_numeric(out["latitude"])
    out["longitude"] = pd.to_numeric(out["longitude"])
    return out
