"""The registry of the warehouse's ``core`` tables: columns, keys, relations, indexes, publish order.

The DDL (``ddl``) is rendered from here and nowhere else; the tables loaded
from a Notion database take their columns from the column registry
(``mission_platform.columns``). Names keep the original project's logical data
model (docs/WAREHOUSE.md). Money is ``numeric(12,2)``, hours ``numeric(7,4)``;
timestamps are Europe/Paris local time.

Published tables are replaced whole, atomically, by every publish (parents
before children in ``PUBLISHED``); kept tables live across publishes.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from mission_platform.columns import (
    EXTRAS,
    HOTELS,
    ID,
    MISSIONS,
    NOT_EMPTY,
    PUBLIC,
    Database,
    Rule,
    WarehouseColumn,
    at_least,
)

MONDAY = Rule("extract(isodow FROM {c}) = 1", "not a Monday",
              lambda values: values.notna() & (pd.to_datetime(values).dt.dayofweek != 0))


def public(name: str, sql: str, description: str, **options) -> WarehouseColumn:
    """A column that holds nothing about anyone (the pipeline's own tables)."""
    return WarehouseColumn(name, sql, description, privacy=PUBLIC, **options)


EXPORT_ID = public("export_id", "text", "The Notion export the row comes from (YYYY-MM-DD or YYYY-MM-DDTHHMM).", not_null=True)
LOADED_AT = public("loaded_at", "timestamptz", "When the row was loaded.", not_null=True)


@dataclass(frozen=True)
class ForeignKey:
    columns: tuple[str, ...]
    table: str
    references: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    columns: tuple[WarehouseColumn, ...]
    primary_key: tuple[str, ...]
    published: bool
    source: Database | None = None                     # the Notion database it is loaded from
    unique: tuple[tuple[str, ...], ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    checks: tuple[tuple[str, str], ...] = ()           # (constraint name, expression)
    indexes: tuple[tuple[str, ...], ...] = ()
    identity: str | None = None                        # a column filled by the database
    why: str = ""                                      # comment rendered above the table

    def column(self, name: str) -> WarehouseColumn:
        return next(c for c in self.columns if c.name == name)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def loaded_columns(self) -> tuple[str, ...]:
        """The columns a load provides (the database fills in the load time and identities)."""
        return tuple(c.name for c in self.columns if c is not LOADED_AT and c.name != self.identity)

    def ddl(self) -> str:
        """``CREATE TABLE`` and its indexes, names unqualified (run inside a schema by search_path)."""
        lines = []
        for column in self.columns:
            text = column.ddl()
            if column.name == self.identity:
                text = f"{column.name} {column.sql} GENERATED ALWAYS AS IDENTITY"
            elif column is LOADED_AT:
                text += " DEFAULT now()"
            lines.append(text)
        lines.append(f"CONSTRAINT {self.name}_pkey PRIMARY KEY ({', '.join(self.primary_key)})")
        for columns in self.unique:
            lines.append(f"CONSTRAINT {self.name}_{'_'.join(columns)}_key UNIQUE ({', '.join(columns)})")
        for fk in self.foreign_keys:
            lines.append(f"CONSTRAINT {self.name}_{'_'.join(fk.columns)}_fkey FOREIGN KEY ({', '.join(fk.columns)}) "
                         f"REFERENCES {fk.table} ({', '.join(fk.references)})")
        for name, expression in self.checks:
            lines.append(f"CONSTRAINT {name} CHECK ({expression})")
        body = ",\n    ".join(lines)
        out = [f"-- {self.description}"] + ([f"-- {self.why}"] if self.why else [])
        out.append(f"CREATE TABLE {self.name} (\n    {body}\n);")
        for columns in self.indexes:
            out.append(f"CREATE INDEX {self.name}_{'_'.join(columns)}_idx ON {self.name} ({', '.join(columns)});")
        return "\n".join(out)


def _loaded(database: Database, **options) -> Table:
    """A table loaded from a Notion database: its registry columns, then the export id and load time."""
    key = database.columns[1].warehouse.name   # the unique ID comes first
    return Table(
        name=database.table, columns=(*database.warehouse_columns(), EXPORT_ID, LOADED_AT), primary_key=(key,),
        published=True, source=database, **options,
    )


LOGICIEL = Table(
    "logiciel", "Every property-management software named by a hotel or an extra.",
    columns=(
        public("logiciel_id", ID, "A stable slug of the name (accents dropped, lower case).", not_null=True, rule=NOT_EMPTY),
        public("logiciel_name", "text", "The most used spelling.", not_null=True, rule=NOT_EMPTY),
        EXPORT_ID, LOADED_AT,
    ),
    primary_key=("logiciel_id",), unique=(("logiciel_name",),), published=True,
)
HOTEL = _loaded(
    HOTELS, description="One row per hotel.",
    foreign_keys=(ForeignKey(("hotel_logiciel",), "logiciel", ("logiciel_name",)),),
)
EXTRA = _loaded(
    EXTRAS, description="One row per extra (freelance receptionist).",
    checks=(("extra_vacances_check", "vacance_fin >= vacance_debut"),),
)
MISSIONS_TABLE = _loaded(
    MISSIONS, description="One row per mission, with its amounts.",
    foreign_keys=(ForeignKey(("hotel_id",), "hotel", ("hotel_id",)), ForeignKey(("extra_id",), "extra", ("extra_id",))),
    checks=(
        # A cancelled mission earns and costs nothing, overtime included.
        ("missions_annulation_amounts_check",
         "annulation IS NULL OR (total_ht = 0 AND total_ttc = 0 AND extra_salaire = 0 AND benefice = 0)"),
        ("missions_benefice_check", "benefice = total_ht - extra_salaire"),
    ),
    # The reporting relations look missions up by time (upcoming ones, an extra's overlapping bookings); the
    # per-hotel and per-extra pages aggregate every mission, where a scan beats an index.
    indexes=(("date_debut",),),
    why="Indexed by date_debut only: an index on hotel_id or extra_id would add seconds to every publish at 1M missions.",
)
LOGICIEL_EXTRA = Table(
    "logiciel_extra", "Which extra masters which software.",
    columns=(
        public("extra_id", ID, "The extra.", not_null=True),
        public("logiciel_id", ID, "The software.", not_null=True),
        EXPORT_ID, LOADED_AT,
    ),
    primary_key=("extra_id", "logiciel_id"), published=True,
    foreign_keys=(ForeignKey(("extra_id",), "extra", ("extra_id",)),
                  ForeignKey(("logiciel_id",), "logiciel", ("logiciel_id",))),
    indexes=(("logiciel_id",),),
)

REJECTED_ROWS = Table(
    "rejected_rows", "Every record set aside, per export, with why (a rerun of an export replaces its rows).",
    columns=(
        EXPORT_ID,
        public("source", "text", "The database: missions, hotels or extras.", not_null=True,
               rule=Rule("{c} IN ('missions', 'hotels', 'extras')", "unknown source",
                         lambda values: values.notna() & ~values.isin(["missions", "hotels", "extras"]))),
        public("row_number", "integer", "The record's 1-based position in its file.", not_null=True, rule=at_least(1)),
        public("raw", "jsonb", "The record as anonymisation left it.", not_null=True),
        public("reason", "text", "Why it was set aside.", not_null=True, rule=NOT_EMPTY),
        LOADED_AT,
    ),
    primary_key=("export_id", "source", "row_number"), published=False,
)
WEEKLY_MISSIONS = Table(
    "weekly_missions", "Missions per ISO week: completed weeks, and what is already booked for the coming ones.",
    columns=(
        public("week_start", "date", "The week's Monday.", not_null=True, rule=MONDAY),
        public("missions", "integer", "Non-cancelled missions of a completed week (null for weeks to come).",
               rule=at_least(0)),
        public("already_booked", "integer", "Missions booked for a week to come (null for past weeks).",
               rule=at_least(0)),
        EXPORT_ID, LOADED_AT,
    ),
    primary_key=("week_start",), published=False,
)
MISSION_FORECAST = Table(
    "mission_forecast", "The 4-week forecast of each as-of week (every as-of week kept).",
    columns=(
        public("as_of_week", "date", "The Monday of the export date's week: the first forecast week.", not_null=True,
               rule=MONDAY),
        public("week_start", "date", "The forecast week's Monday.", not_null=True, rule=MONDAY),
        public("model", "text", "The model that made it.", not_null=True),
        public("mean", "double precision", "Mean forecast.", rule=at_least(0)),
        public("p10", "double precision", "10th percentile.", rule=at_least(0)),
        public("p50", "double precision", "Median."),
        public("p90", "double precision", "90th percentile."),
        public("already_booked", "integer", "Missions already booked for the week.", rule=at_least(0)),
        public("extras_needed_p50", "integer", "Extras needed at the median.", rule=at_least(0)),
        public("extras_needed_p90", "integer", "Extras needed at the 90th percentile.", rule=at_least(0)),
        public("extras_assigned", "integer", "Distinct extras already on a mission of the week.", rule=at_least(0)),
        public("extras_to_find_p50", "integer", "Extras still to find at the median: needed minus assigned.",
               rule=at_least(0)),
        public("extras_to_find_p90", "integer", "Extras still to find at the 90th percentile.", rule=at_least(0)),
        EXPORT_ID, LOADED_AT,
    ),
    primary_key=("as_of_week", "week_start", "model"), published=False,
    checks=(("mission_forecast_quantiles_check", "p10 <= p50 AND p50 <= p90"),),
)
FORECAST_BACKTEST = Table(
    "forecast_backtest", "The rolling-origin league table of each as-of week.",
    columns=(
        public("as_of_week", "date", "The as-of week it was computed for.", not_null=True, rule=MONDAY),
        public("model", "text", "The model.", not_null=True),
        public("origins", "integer", "Forecast origins it was scored on.", not_null=True, rule=at_least(0)),
        public("mape", "double precision", "Mean absolute percentage error (a fraction)."),
        public("smape", "double precision", "Symmetric MAPE."),
        public("mase", "double precision", "Mean absolute scaled error."),
        public("wql", "double precision", "Weighted quantile loss (p10, p50, p90)."),
        public("coverage_80", "double precision", "Share of actuals inside [p10, p90].",
               rule=Rule("{c} BETWEEN 0 AND 1", "not a share",
                         lambda values: values.notna() & ((values < 0) | (values > 1)))),
        EXPORT_ID, LOADED_AT,
    ),
    primary_key=("as_of_week", "model"), published=False,
)
LOAD_HISTORY = Table(
    "load_history", "One row per publish of the core tables; the latest is the published state.",
    columns=(
        public("load_id", "bigint", "Publish number.", not_null=True),
        public("export_id", "text", "The export published.", not_null=True),
        public("export_date", "date", "Its date.", not_null=True),
        public("published_at", "timestamptz", "When.", not_null=True),
        *(public(f"{t}_rows", "integer", f"Rows of core.{t}.", not_null=True)
          for t in ("hotel", "extra", "missions", "logiciel", "logiciel_extra", "rejected")),
    ),
    primary_key=("load_id",), published=False, identity="load_id", indexes=(("published_at",),),
)

TABLES: dict[str, Table] = {t.name: t for t in (
    LOGICIEL, HOTEL, EXTRA, MISSIONS_TABLE, LOGICIEL_EXTRA,
    REJECTED_ROWS, WEEKLY_MISSIONS, MISSION_FORECAST, FORECAST_BACKTEST, LOAD_HISTORY,
)}
# Replaced whole by each publish, parents before children.
PUBLISHED: tuple[str, ...] = tuple(name for name, t in TABLES.items() if t.published)
CORE_TABLES: tuple[str, ...] = tuple(TABLES)
# The tables loaded from each Notion database (for conservation: rows read = loaded + set aside).
TABLE_OF_SOURCE: dict[str, str] = {t.source.source: name for name, t in TABLES.items() if t.source is not None}


def key_columns(table: str) -> tuple[str, ...]:
    return TABLES[table].primary_key


def references() -> list[tuple[str, str, str, str]]:
    """Every relation of the model: (table, column, referenced table, referenced column)."""
    return [(name, fk.columns[0], fk.table, fk.references[0])
            for name, table in TABLES.items() for fk in table.foreign_keys]


def ddl(*, published_only: bool = False) -> str:
    """The DDL of every core table (or only the published ones), unqualified names."""
    names = PUBLISHED if published_only else CORE_TABLES
    return "\n\n".join(TABLES[name].ddl() for name in names) + "\n"


# -- private: real names and contact details, for the operations role only -------------------------------------

PRIVATE = "private"


@dataclass(frozen=True)
class PrivateTable:
    """A table of schema ``private``: real values of a Notion database's personal columns, per unique ID.

    Loaded from the parsed (not anonymised) frame of the published export, in the publishing
    transaction; rows set aside at parsing are not loaded. ``columns`` maps each parsed column
    to its warehouse name; its privacy class is the parsed column's (columns.py).
    """

    table: Table
    source: Database
    columns: dict[str, str]   # parsed column -> private column


def _private(database: Database, description: str, **columns: str) -> PrivateTable:
    key = database.columns[1]   # the unique ID comes first
    parsed = {key.name: key.warehouse.name, **columns}
    own = tuple(
        WarehouseColumn(parsed[c.name], key.warehouse.sql if c is key else "text",
                        key.warehouse.description if c is key else f"Real value: {c.description}",
                        not_null=c is key, privacy=c.privacy)
        for c in database.columns if c.name in parsed
    )
    return PrivateTable(
        Table(database.table, description, columns=(*own, EXPORT_ID, LOADED_AT), primary_key=(key.warehouse.name,),
              published=True),
        database, parsed,
    )


PRIVATE_EXTRA = _private(EXTRAS, "Each extra's real name and contact details (the published export's).",
                         name="nom", phone="telephone", email="email")
PRIVATE_HOTEL = _private(HOTELS, "Each hotel's real name, address and contact notes (the published export's).",
                         name="hotel_nom", address="hotel_adresse", notes="notes")
PRIVATE_TABLES: dict[str, PrivateTable] = {p.table.name: p for p in (PRIVATE_EXTRA, PRIVATE_HOTEL)}


def _check_private() -> None:
    for name, private in PRIVATE_TABLES.items():
        for column in private.table.columns[1:-2]:
            if column.privacy is PUBLIC or column.privacy is None:
                raise ValueError(f"private.{name}.{column.name} holds nothing personal: it belongs in core")


_check_private()


def private_ddl() -> str:
    """The DDL of the private tables, unqualified names (the same rendering as the core tables')."""
    return "\n\n".join(p.table.ddl() for p in PRIVATE_TABLES.values()) + "\n"
