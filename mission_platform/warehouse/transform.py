"""Anonymised frames -> the ``core`` tables of docs/WAREHOUSE.md (pure pandas, vectorised).

The raw stage has already set aside every bad row with a ``reject_reason``; the
kept rows must therefore satisfy the warehouse's invariants (unique ids,
relations that resolve, dates present, durations within a day). A kept row
that breaks one is a bug upstream: ``CoreInvariantError`` names the source,
the record numbers and the rule, instead of dropping the row.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from mission_platform.columns import ANONYMISED, EXTRAS, HOTELS, MISSIONS, Database, conform
from mission_platform.public_demo import OFF, MoneyScale
from mission_platform.settings import Tariffs
from mission_platform.warehouse.tables import PRIVATE_TABLES, TABLES

PARIS = "Europe/Paris"

# Columns of each table as a load provides them (``loaded_at`` is set by the database at load time).
HOTEL_COLUMNS = TABLES["hotel"].loaded_columns
EXTRA_COLUMNS = TABLES["extra"].loaded_columns
MISSIONS_COLUMNS = TABLES["missions"].loaded_columns
LOGICIEL_COLUMNS = TABLES["logiciel"].loaded_columns
LOGICIEL_EXTRA_COLUMNS = TABLES["logiciel_extra"].loaded_columns
REJECTED_COLUMNS = TABLES["rejected_rows"].loaded_columns

HOURS_DECIMALS = 4  # numeric(7,4): hours x rate reproduces the stored amounts to the cent


class CoreInvariantError(ValueError):
    """A kept row breaks a rule the raw stage guarantees: a bug upstream, not bad input."""


@dataclass(frozen=True)
class CoreTables:
    """The five published ``core`` tables of one export, columns as in docs/WAREHOUSE.md."""

    export_id: str
    logiciel: pd.DataFrame
    hotel: pd.DataFrame
    extra: pd.DataFrame
    missions: pd.DataFrame
    logiciel_extra: pd.DataFrame

    def frames(self) -> dict[str, pd.DataFrame]:
        """Parents before children, the order of the foreign keys (tables.PUBLISHED)."""
        return {name: getattr(self, name) for name in ("logiciel", "hotel", "extra", "missions", "logiciel_extra")}

    def counts(self) -> dict[str, int]:
        return {name: len(frame) for name, frame in self.frames().items()}


def build_core_tables(
    missions: pd.DataFrame,
    hotels: pd.DataFrame,
    extras: pd.DataFrame,
    *,
    export_id: str,
    tariffs: Tariffs,
    scale: MoneyScale = OFF,
) -> CoreTables:
    """The kept rows of the anonymised frames as the ``core`` tables, every business rule applied.

    ``scale``: the public-demo profile's money scaling (the hotel rates in the frames are already scaled).
    """
    # Only the columns the table is built from: the parse's own (the dates as written, the statuses) stay behind.
    missions = _kept(conform(missions, ANONYMISED["missions"]), ["row_number", *dict.fromkeys(MISSIONS.loaded().values())])
    hotels = _kept(conform(hotels, ANONYMISED["hotels"]))
    extras = _kept(conform(extras, ANONYMISED["extras"]))
    _check_unique(hotels, "hotels", "hotel_id")
    _check_unique(extras, "extras", "extra_id")
    _check_unique(missions, "missions", "mission_id")

    extra_software = _software_per_extra(extras)
    logiciel, canonical = _logiciel_table(hotels["software"], extra_software["name"], export_id)
    logiciel_extra = (
        pd.DataFrame({
            "extra_id": extra_software["extra_id"],
            "logiciel_id": _slug(extra_software["name"]).to_numpy(),
            "export_id": export_id,
        })
        .drop_duplicates(["extra_id", "logiciel_id"])
        .reset_index(drop=True)
    )
    hotel = _table(HOTELS, hotels, export_id,
                   hotel_logiciel=_slug(hotels["software"].str.strip()).map(canonical).astype("string"),
                   last_contact=hotels["last_contact"].dt.normalize())
    extra = _table(EXTRAS, extras, export_id,
                   disponibilites=_join_lists(extras["availability_slots"], extras["availability_days"]))
    _check_references(missions, "hotel_id", hotels["hotel_id"], "hotels")
    _check_references(missions, "extra_id", extras["extra_id"], "extras")
    frames = {
        "logiciel": logiciel,
        "hotel": hotel,
        "extra": extra,
        "missions": _missions_table(missions, export_id, tariffs, scale),
        "logiciel_extra": logiciel_extra,
    }
    # Text columns as pandas strings throughout, whatever built them.
    return CoreTables(export_id=export_id, **{
        name: frame.astype({c: "string" for c in frame.columns if frame[c].dtype == object})
        for name, frame in frames.items()
    })


def build_rejected_rows(
    missions: pd.DataFrame, hotels: pd.DataFrame, extras: pd.DataFrame, *, export_id: str
) -> pd.DataFrame:
    """Every set-aside row of the three frames: source, record number, the row as JSON text, reason."""
    parts = []
    for source, frame in (("missions", missions), ("hotels", hotels), ("extras", extras)):
        rejected = conform(frame[frame["reject_reason"].notna()], ANONYMISED[source])
        parts.append(pd.DataFrame({
            "export_id": export_id,
            "source": source,
            "row_number": rejected["row_number"].to_numpy(),
            "raw": _json_lines(rejected.drop(columns=["row_number", "reject_reason"])),
            "reason": rejected["reject_reason"].to_numpy(),
        }, columns=list(REJECTED_COLUMNS)))
    out = pd.concat(parts, ignore_index=True)
    return out.astype({"export_id": "string", "source": "string", "row_number": "int64", "raw": "string",
                       "reason": "string"})


# The parsed frames the private tables are built from: reading only these spares the publishing step the
# million parsed missions (1.4 GB at 1M missions, benchmarks/bench_reporting.py --graph).
PRIVATE_SOURCES = tuple(dict.fromkeys(private.source.source for private in PRIVATE_TABLES.values()))


def build_private_tables(parsed: dict[str, pd.DataFrame], *, export_id: str) -> dict[str, pd.DataFrame]:
    """The ``private`` tables from the export's PARSED frames (``PRIVATE_SOURCES`` at least): the kept rows' real
    names and contact details.

    Rows set aside at parsing are left out, as from ``core``: ``private`` holds the people the published
    tables hold, no one else.
    """
    out = {}
    for name, private in PRIVATE_TABLES.items():
        kept = _kept(parsed[private.source.source])
        _check_unique(kept, private.source.source, next(iter(private.columns)))   # the unique ID comes first
        frame = kept[list(private.columns)].rename(columns=private.columns).astype("string")
        frame["export_id"] = export_id
        out[name] = frame[list(private.table.loaded_columns)]
    return out


# -- helpers -------------------------------------------------------------------------------

def _table(database: Database, frame: pd.DataFrame, export_id: str, **computed) -> pd.DataFrame:
    """A core table from a kept frame: its registry columns in order, each loaded as it is unless ``computed``."""
    loaded = database.loaded()
    columns = {}
    for name in TABLES[database.table].loaded_columns:
        if name in computed:
            columns[name] = computed.pop(name)
        elif name == "export_id":
            columns[name] = export_id
        elif name in loaded:
            columns[name] = frame[loaded[name]]
        else:
            raise KeyError(f"core.{database.table}.{name} is computed, and no value was given for it")
    if computed:
        raise KeyError(f"core.{database.table} has no columns {sorted(computed)}")
    return pd.DataFrame(columns)


def _kept(frame: pd.DataFrame, columns: list[str] | None = None) -> pd.DataFrame:
    """The rows not set aside (of ``columns`` only, when given), numbered from 0."""
    rows = frame["reject_reason"].isna()
    kept = frame[rows] if columns is None else frame.loc[rows, columns]  # a new frame: relabelling it copies nothing
    kept.index = pd.RangeIndex(len(kept))
    return kept


def _rows(frame: pd.DataFrame, mask: pd.Series, limit: int = 10) -> str:
    numbers = frame.loc[mask, "row_number"].head(limit).tolist()
    more = int(mask.sum()) - len(numbers)
    return ", ".join(map(str, numbers)) + (f" and {more} more" if more > 0 else "")


def _check_unique(frame: pd.DataFrame, source: str, key: str) -> None:
    repeated = frame[key].duplicated(keep=False) | frame[key].isna()
    if repeated.any():
        raise CoreInvariantError(
            f"{source}: kept records {_rows(frame, repeated)} have a missing or repeated {key}; "
            "the raw stage should have set them aside"
        )


def _check_references(missions: pd.DataFrame, column: str, targets: pd.Series, source: str) -> None:
    dangling = missions[column].notna() & ~missions[column].isin(targets)
    if column == "hotel_id":
        dangling |= missions[column].isna()
    if dangling.any():
        raise CoreInvariantError(
            f"missions: kept records {_rows(missions, dangling)} have a {column} that is not among the kept "
            f"{source} (e.g. {missions.loc[dangling, column].iloc[0]!r}); the raw stage should have set them aside"
        )


def _slug(names: pd.Series) -> pd.Series:
    """A stable id from a software name: accents dropped, lower case, runs of other characters as '-'."""
    ascii_names = names.str.normalize("NFKD").str.encode("ascii", "ignore").str.decode("ascii")
    slug = ascii_names.str.lower().str.replace(r"[^a-z0-9]+", "-", regex=True).str.strip("-")
    # A name with no ASCII letter or digit keeps its own (case-folded) spelling as id.
    return slug.where(slug.ne(""), names.str.strip().str.casefold())


def _software_per_extra(extras: pd.DataFrame) -> pd.DataFrame:
    """One row per (extra, software named in its comma list), names trimmed, empties dropped."""
    names = extras["software"].str.split(",").explode().str.strip()
    pairs = pd.DataFrame({"extra_id": extras["extra_id"].reindex(names.index), "name": names})
    return pairs[pairs["name"].notna() & pairs["name"].ne("")].reset_index(drop=True)


def _logiciel_table(hotel_software: pd.Series, extra_software: pd.Series, export_id: str) -> tuple[pd.DataFrame, pd.Series]:
    """Every software named by a hotel or an extra, keyed by slug; the name is the most used spelling."""
    names = pd.concat([hotel_software.str.strip(), extra_software], ignore_index=True).astype("string")
    names = names[names.notna() & names.ne("")]
    spellings = names.value_counts().rename_axis("logiciel_name").reset_index(name="uses")
    spellings["logiciel_id"] = _slug(spellings["logiciel_name"])
    canonical = (
        spellings.sort_values(["logiciel_id", "uses", "logiciel_name"], ascending=[True, False, True])
        .drop_duplicates("logiciel_id")
        .reset_index(drop=True)
    )
    table = pd.DataFrame({
        "logiciel_id": canonical["logiciel_id"].astype("string"),
        "logiciel_name": canonical["logiciel_name"].astype("string"),
        "export_id": export_id,
    })
    return table, pd.Series(table["logiciel_name"].to_numpy(), index=table["logiciel_id"].to_numpy())


def _join_lists(first: pd.Series, second: pd.Series) -> pd.Series:
    """Two comma lists as one ('matin, soir' + 'semaine' -> 'matin, soir, semaine'); null when both are empty."""
    a = first.fillna("").str.strip()
    b = second.fillna("").str.strip()
    joined = a.str.cat(b, sep=", ")
    joined = joined.where(a.ne("") & b.ne(""), a + b)
    return joined.where(joined.ne(""), pd.NA).astype("string")


def _cents(values: np.ndarray) -> np.ndarray:
    """Round to the cent, halves away from zero (commercial rounding), float noise first removed."""
    scaled = np.round(np.abs(values) * 100, 6)
    return np.sign(values) * np.floor(scaled + 0.5) / 100


def _missions_table(
    missions: pd.DataFrame, export_id: str, tariffs: Tariffs, scale: MoneyScale
) -> pd.DataFrame:
    missing = missions["start"].isna() | missions["end"].isna()
    if missing.any():
        raise CoreInvariantError(f"missions: kept records {_rows(missions, missing)} have no start or end")
    hours = ((missions["end"] - missions["start"]) / pd.Timedelta(hours=1)).round(HOURS_DECIMALS)
    out_of_range = (hours < 0) | (hours > 24)
    if out_of_range.any():
        raise CoreInvariantError(
            f"missions: kept records {_rows(missions, out_of_range)} last less than 0 or more than 24 hours"
        )
    overtime = missions["overtime_hours"].fillna(0.0).round(HOURS_DECIMALS)
    if (overtime < 0).any():
        raise CoreInvariantError(f"missions: kept records {_rows(missions, overtime < 0)} have negative overtime")

    urgent = missions["urgent"].to_numpy(dtype=bool)
    cancelled = missions["cancelled_by"].notna().to_numpy()
    h = hours.to_numpy(dtype=float)
    ot = overtime.to_numpy(dtype=float)
    rate = np.where(urgent, missions["urgent_rate"].to_numpy(dtype=float), missions["hourly_rate"].to_numpy(dtype=float))
    n = len(missions)
    pay = scale.extra(np.where(urgent, tariffs.extra_hourly_pay_urgent, tariffs.extra_hourly_pay),
                      missions["extra_id"], missions["mission_id"])
    overtime_pay = scale.extra(np.full(n, tariffs.extra_hourly_pay_urgent), missions["extra_id"], missions["mission_id"])
    # The public-demo profile scaled the hotel rates upstream; the overtime rate is scaled here, or it could be read back.
    overtime_rate = scale.hotel(np.full(n, tariffs.overtime_rate), missions["hotel_id"])
    # A cancelled mission earns and costs nothing, overtime included.
    total_ht = _cents(np.where(cancelled, 0.0, h * rate + ot * overtime_rate))
    total_ttc = _cents(total_ht * (1 + tariffs.vat_rate))
    extra_salaire = _cents(np.where(cancelled, 0.0, h * pay + ot * overtime_pay))
    benefice = _cents(total_ht - extra_salaire)

    return _table(
        MISSIONS, missions, export_id,
        date_debut=missions["start"].dt.tz_convert(PARIS).dt.tz_localize(None),
        date_fin=missions["end"].dt.tz_convert(PARIS).dt.tz_localize(None),
        duree_mission=hours,
        urgent=urgent,
        heures_supp=overtime,
        total_ht=total_ht,
        total_ttc=total_ttc,
        extra_salaire=extra_salaire,
        benefice=benefice,
    )


def _json_lines(frame: pd.DataFrame) -> np.ndarray:
    """Each row as one JSON object (timestamps ISO 8601, missing values null), as text."""
    if frame.empty:
        return np.array([], dtype=object)
    text = frame.to_json(orient="records", lines=True, date_format="iso", force_ascii=False)
    return np.array(text.rstrip("\n").split("\n"), dtype=object)
