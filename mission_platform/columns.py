"""The column registry: every column of the three Notion databases, from the export to the warehouse.

One entry per Notion property (its header as Notion writes it, whether an
export must have it, how it is parsed) and, under it, the columns it becomes
in the parsed frame (name, pandas dtype, privacy class, what anonymisation
does with it) and in the ``core`` table (name, PostgreSQL type, rule,
description). Columns the warehouse computes (durations, amounts) are
declared here too, where they stand in their table. The raw reader, the
anonymiser, the warehouse transform and DDL, and the sample generator all read
this module: adding a Notion column is one entry here, plus its parsing rule
when it is not one of the generic kinds, plus its tests.

Privacy classes (required on every column; a column without one is an error
at import):

- ``PERSONAL``: identifies a person or a hotel (names, phones, e-mails,
  addresses, Notion page ids). Replaced by a keyed pseudonym or removed before
  anything is shared; every value is searched for in what anonymisation writes.
- ``FREE_TEXT``: typed by people, so it may hold anything: contact details in
  it are searched for and masked; when anonymisation does not keep the column
  at all, its values are searched for like personal ones.
- ``PUBLIC``: cannot identify anyone (ids, numbers, dates, categories).
  ``vocabulary`` marks the public columns whose values are ordinary words
  (cities, software, statuses): a name equal to one of them is not a leak.

Timestamps of missions are instants (UTC); the warehouse turns them into
Europe/Paris business time. Creation times, holidays and last-contact dates
are Notion renderings without a zone: Paris local time, naive.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import pandas as pd
import pyarrow as pa


class RegistryError(TypeError):
    """The registry itself is ill-formed (a programming error, raised at import)."""


class Privacy(enum.Enum):
    PERSONAL = "personal"
    FREE_TEXT = "free text"
    PUBLIC = "public"


PERSONAL, FREE_TEXT, PUBLIC = Privacy.PERSONAL, Privacy.FREE_TEXT, Privacy.PUBLIC


class Shared(enum.Enum):
    """What the anonymised (shareable) frame holds of a parsed column."""

    KEEP = "kept, scrubbed of personal values"
    DROP = "removed"
    NULL = "emptied"
    PERSON = "a person's pseudonym"
    HOTEL = "a hotel's pseudonym"
    ADDRESS = "an address pseudonym"


PSEUDONYM_KINDS = {Shared.PERSON: "person", Shared.HOTEL: "hotel", Shared.ADDRESS: "address"}


class Parse(enum.Enum):
    """How the reader turns a property's cells into values; ``CUSTOM`` properties have their own code in notion/frames.py."""

    TEXT = "text"              # stripped; empty -> null
    NUMBER = "number"          # 28, 27,5, 1 234,5 €
    INTEGER = "integer"        # a number without fraction
    ZIPCODE = "zipcode"        # leading zeros Excel dropped are restored
    DATE = "date"              # one zone-less date or date and time (a range is bad)
    DATE_RANGE = "date range"  # zone-less start -> end
    CUSTOM = "custom"


@dataclass(frozen=True)
class Rule:
    """A rule every kept value obeys: the warehouse enforces it as a CHECK, the reader sets aside a row that breaks it."""

    sql: str                # the CHECK expression, ``{c}`` standing for the column
    reason: str             # the reject reason's kind
    test: object            # Series -> bool Series of the values that break it (nulls never do)

    def check(self, column: str) -> str:
        return self.sql.format(c=column)


def at_least(bound: float) -> Rule:
    return Rule(f"{{c}} >= {bound:g}", "negative value" if bound == 0 else f"value below {bound:g}",
                lambda values: values.notna() & (values < bound))


NOT_EMPTY = Rule("{c} <> ''", "empty value", lambda values: values.notna() & (values == ""))
FIVE_DIGITS = Rule("{c} ~ '^[0-9]{{5}}$'", "not a five-digit postal code",
                   lambda values: values.notna() & ~values.astype("string").str.fullmatch(r"[0-9]{5}").fillna(False))


@dataclass(frozen=True)
class WarehouseColumn:
    """A column of a ``core`` table."""

    name: str
    sql: str                           # PostgreSQL type, e.g. 'numeric(12,2)'
    description: str
    not_null: bool = False
    rule: Rule | None = None
    privacy: Privacy | None = None     # of what the column holds; a column loaded from a parsed one inherits it

    def ddl(self) -> str:
        parts = [self.name, self.sql]
        if self.not_null:
            parts.append("NOT NULL")
        if self.rule is not None:
            parts.append(f"CHECK ({self.rule.check(self.name)})")
        return " ".join(parts)


# Ids are codes, compared byte by byte: their keys and indexes build several times faster under
# COLLATE "C" than under a linguistic collation, which they have no use for.
ID = 'text COLLATE "C"'
MONEY = "numeric(12,2)"   # money in euros, to the cent
HOURS = "numeric(7,4)"    # hours x rate reproduces the stored amounts to the cent
LOCAL_TIME = "timestamp without time zone"   # Europe/Paris business time

# Text in the frames is Arrow-backed: a Python object per cell took 1.46 GB for the parsed million missions.
TEXT = pd.StringDtype("pyarrow")


def text_series(values: pa.Array | pa.ChunkedArray, index: pd.Index) -> pd.Series:
    """Arrow strings as a ``TEXT`` series on ``index``, without a Python object per cell."""
    return pd.Series(pd.arrays.ArrowStringArray(values.cast(pa.string())), index=index, copy=False)


@dataclass(frozen=True)
class Column:
    """A column of the parsed frame, and the ``core`` column it is loaded into (if any)."""

    name: str
    dtype: str | pd.StringDtype
    privacy: Privacy | None
    description: str
    shared: Shared = Shared.KEEP
    vocabulary: bool = False
    warehouse: WarehouseColumn | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.privacy, Privacy):
            raise RegistryError(f"column {self.name!r} has no privacy class: give it Privacy.PERSONAL, "
                                "Privacy.FREE_TEXT or Privacy.PUBLIC")
        if self.shared in PSEUDONYM_KINDS and self.privacy is not PERSONAL:
            raise RegistryError(f"column {self.name!r}: only a personal column gets a pseudonym")
        if self.privacy is PERSONAL and self.shared is Shared.KEEP:
            raise RegistryError(f"column {self.name!r} is personal: anonymisation must drop, empty or pseudonymise it")
        if self.warehouse is not None and self.warehouse.privacy is None:
            object.__setattr__(self, "warehouse", _with_privacy(self.warehouse, self.privacy))


def _with_privacy(column: WarehouseColumn, privacy: Privacy) -> WarehouseColumn:
    return WarehouseColumn(column.name, column.sql, column.description, column.not_null, column.rule, privacy)


@dataclass(frozen=True)
class Property:
    """A Notion property (a column of the CSV file) and the parsed columns it becomes."""

    header: str                      # as Notion writes it (matched case-, accent- and spacing-insensitively)
    key: str                         # the name the reader gives its cells
    parse: Parse
    columns: tuple[Column, ...]
    required: bool = True            # an optional property missing from an older export is read as empty cells
    prefix: bool = False             # the header only starts with ``header`` ('Dernier contact <first name>')
    written_as: str | None = None    # the full header of a prefix property, as the sample generator writes it

    @property
    def label(self) -> str:
        """The header as reject reasons name it."""
        return self.header.strip()


@dataclass(frozen=True)
class Computed:
    """A ``core`` column the warehouse computes (from several parsed columns, or from the business rules)."""

    warehouse: WarehouseColumn

    def __post_init__(self) -> None:
        if not isinstance(self.warehouse.privacy, Privacy):
            raise RegistryError(f"computed column {self.warehouse.name!r} has no privacy class")


# Columns the reader adds to every frame, first and last.
ROW_NUMBER = Column("row_number", "int64", PUBLIC, "The record's 1-based position in its file (header not counted).")
REJECT_REASON = Column(
    "reject_reason", TEXT, FREE_TEXT,
    "Why the record was set aside (null when kept): 'kind' or 'kind: detail', never quoting a name.",
)


class Database:
    """The registry of one Notion database: its properties in file order, and computed ``core`` columns among them."""

    def __init__(self, source: str, title: str, table: str, entries: list[Property | Computed]) -> None:
        self.source = source          # 'missions', 'hotels', 'extras'
        self.title = title            # the database's title in Notion (file names)
        self.table = table            # its core table
        self.entries = tuple(entries)
        self.properties = tuple(e for e in entries if isinstance(e, Property))
        self.columns = (ROW_NUMBER, *(c for p in self.properties for c in p.columns), REJECT_REASON)
        names = [c.name for c in self.columns]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise RegistryError(f"{source}: columns {repeated} are declared twice")
        keys = [p.key for p in self.properties]
        if len(set(keys)) != len(keys):
            raise RegistryError(f"{source}: two properties share a key")
        warehouse = [w.name for w in self.warehouse_columns()]
        if len(set(warehouse)) != len(warehouse):
            raise RegistryError(f"{source}: two columns load into the same core column")

    def __getitem__(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"{self.source} has no column {name!r}")

    def prop(self, key: str) -> Property:
        return next(p for p in self.properties if p.key == key)

    @property
    def headers(self) -> list[str]:
        """The file's header line as Notion writes it (what the sample generator writes)."""
        return [p.written_as or p.header for p in self.properties]

    @property
    def parsed(self) -> dict[str, str]:
        """The parsed frame: column -> pandas dtype, in order."""
        return {c.name: c.dtype for c in self.columns}

    @property
    def anonymised(self) -> dict[str, str]:
        """The anonymised frame: the parsed one without the columns anonymisation removes."""
        return {c.name: c.dtype for c in self.columns if c.shared is not Shared.DROP}

    def names(self, predicate) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if predicate(c))

    def warehouse_columns(self) -> list[WarehouseColumn]:
        """The ``core`` table's columns from this database, in order (loaded and computed)."""
        out = []
        for entry in self.entries:
            if isinstance(entry, Computed):
                out.append(entry.warehouse)
            else:
                out += [c.warehouse for c in entry.columns if c.warehouse is not None]
        return out

    def loaded(self) -> dict[str, str]:
        """``core`` column -> the parsed column it is loaded from, for the columns loaded as they are."""
        return {c.warehouse.name: c.name for c in self.columns if c.warehouse is not None}


def _prop(header: str, key: str, parse: Parse, *columns: Column, **options) -> Property:
    return Property(header, key, parse, tuple(columns), **options)


def _id(name: str, prefix: str, what: str) -> Column:
    return Column(name, TEXT, PUBLIC, f"The {what}'s Notion unique ID ({prefix}-…): its stable key in every export.",
                  warehouse=WarehouseColumn(name, ID, f"Notion unique ID of the {what} ({prefix}-…).", not_null=True,
                                            rule=NOT_EMPTY))


MISSIONS = Database("missions", "Missions", "missions", [
    _prop("ID", "mission_id", Parse.CUSTOM, _id("mission_id", "MIS", "mission")),
    _prop("Propriété", "title", Parse.TEXT,
          Column("title", TEXT, PERSONAL, "The page title; names the hotel.", shared=Shared.DROP)),
    _prop("hôtel", "hotel", Parse.CUSTOM,
          Column("hotel_title", TEXT, PERSONAL, "The hotel relation's title.", shared=Shared.DROP),
          Column("hotel_page_id", TEXT, PERSONAL, "The hotel page's 32-hex Notion id.", shared=Shared.DROP),
          Column("hotel_id", TEXT, PUBLIC, "The hotel's unique ID, resolved from the relation (null when unresolved).",
                 warehouse=WarehouseColumn("hotel_id", ID, "The mission's hotel.", not_null=True))),
    _prop("extra", "extra", Parse.CUSTOM,
          Column("extra_title", TEXT, PERSONAL, "The extra relation's title.", shared=Shared.DROP),
          Column("extra_page_id", TEXT, PERSONAL, "The extra page's 32-hex Notion id.", shared=Shared.DROP),
          Column("extra_id", TEXT, PUBLIC, "The extra's unique ID, resolved from the relation; null = not yet assigned.",
                 warehouse=WarehouseColumn("extra_id", ID, "The extra on the mission; null = not yet assigned."))),
    _prop("date", "date_text", Parse.CUSTOM,
          Column("date_text", TEXT, PUBLIC, "The date cell as written, for diagnosis."),
          Column("start", "datetime64[ns, UTC]", PUBLIC, "Start instant.",
                 warehouse=WarehouseColumn("date_debut", LOCAL_TIME, "Start, Paris local time.", not_null=True)),
          Column("end", "datetime64[ns, UTC]", PUBLIC, "End instant.",
                 warehouse=WarehouseColumn("date_fin", LOCAL_TIME, "End, Paris local time.", not_null=True))),
    Computed(WarehouseColumn(
        "duree_mission", HOURS, "Hours really elapsed (7 or 9 on the nights the clocks change).", not_null=True,
        rule=Rule("{c} >= 0 AND {c} <= 24", "duration out of range",
                  lambda values: values.notna() & ((values < 0) | (values > 24))),
        privacy=PUBLIC)),
    _prop("statuts", "statuses", Parse.CUSTOM,
          Column("statuses", TEXT, PUBLIC, "The multi-select as written.", vocabulary=True),
          Column("urgent", "bool", PUBLIC, "'urgente' among the statuses: the urgent rate applies.",
                 warehouse=WarehouseColumn("urgent", "boolean", "The urgent rate applies.", not_null=True)),
          Column("cancelled_by", TEXT, PUBLIC, "'extra', 'hotel' or null.", vocabulary=True,
                 warehouse=WarehouseColumn(
                     "annulation", "text", "Cancelled by 'extra' or 'hotel'; null when not cancelled.",
                     rule=Rule("{c} IN ('extra', 'hotel')", "unknown cancellation",
                               lambda values: values.notna() & ~values.isin(["extra", "hotel"]))))),
    _prop("Texte", "overtime_text", Parse.CUSTOM,
          Column("overtime_text", TEXT, FREE_TEXT, "Overtime as typed ('1h30 supp').",
                 warehouse=WarehouseColumn("texte", "text", "Overtime as typed, scrubbed of personal values.")),
          Column("overtime_hours", "float64", PUBLIC, "Overtime hours found in the text (0 when none).",
                 warehouse=WarehouseColumn("heures_supp", HOURS, "Overtime hours parsed from texte.", not_null=True,
                                           rule=at_least(0))),
          Column("overtime_unparsed", "bool", PUBLIC, "Text present but no duration found in it.")),
    _prop("tarif horaire", "hourly_rate", Parse.NUMBER,
          Column("hourly_rate", "float64", PUBLIC, "€ HT per hour billed to the hotel.",
                 warehouse=WarehouseColumn("tarif_horaire", MONEY, "€ HT per hour billed to the hotel.",
                                           rule=at_least(0)))),
    _prop("tarif urgence", "urgent_rate", Parse.NUMBER,
          Column("urgent_rate", "float64", PUBLIC, "€ HT per hour billed when urgent.",
                 warehouse=WarehouseColumn("tarif_urgence", MONEY, "€ HT per hour billed when urgent.",
                                           rule=at_least(0)))),
    _prop("facture", "invoice", Parse.TEXT,
          Column("invoice", TEXT, FREE_TEXT, "Invoice number (F2024-0142).",
                 warehouse=WarehouseColumn("facture", "text", "Invoice number."))),
    _prop("règlement", "payment_status", Parse.TEXT,
          Column("payment_status", TEXT, PUBLIC, "payé, en attente, en retard.", vocabulary=True,
                 warehouse=WarehouseColumn("reglement", "text", "Payment status."))),
    # Notion's created time: when the mission was booked. Older exports lack it: the forecast then falls back
    # to plain NPTS (it cannot know what was already booked).
    _prop("Date de création", "created_at", Parse.DATE,
          Column("created_at", "datetime64[ns]", PUBLIC, "Page creation time (when the mission was booked), Paris local.",
                 warehouse=WarehouseColumn("date_creation", LOCAL_TIME,
                                           "When the mission was booked (Notion's created time), Paris local.")),
          required=False),
    *(Computed(WarehouseColumn(name, MONEY, description, rule=rule, privacy=PUBLIC)) for name, description, rule in (
        ("total_ht", "€ HT billed: hours x the rate its status calls for, plus overtime; 0 when cancelled.", at_least(0)),
        ("total_ttc", "total_ht with VAT.", at_least(0)),
        ("extra_salaire", "The extra's pay, overtime included; 0 when cancelled.", at_least(0)),
        ("benefice", "total_ht - extra_salaire.", None),
    )),
])

HOTELS = Database("hotels", "Hôtels", "hotel", [
    _prop("ID", "hotel_id", Parse.CUSTOM, _id("hotel_id", "HOT", "hotel")),
    _prop("nom", "name", Parse.TEXT,
          Column("name", TEXT, PERSONAL, "The hotel's name, trimmed.", shared=Shared.HOTEL,
                 warehouse=WarehouseColumn("hotel_nom", "text", "The hotel's pseudonym."))),
    _prop("adresse", "address", Parse.TEXT,
          Column("address", TEXT, PERSONAL, "Street address.", shared=Shared.ADDRESS,
                 warehouse=WarehouseColumn("hotel_adresse", "text", "A pseudonymous street address."))),
    _prop("code postal", "zipcode", Parse.ZIPCODE,
          Column("zipcode", TEXT, PUBLIC, "Postal code, five digits.", vocabulary=True,
                 warehouse=WarehouseColumn("zipcode", "text", "Postal code, five digits.", rule=FIVE_DIGITS))),
    _prop("ville", "city", Parse.TEXT,
          Column("city", TEXT, PUBLIC, "City.", vocabulary=True,
                 warehouse=WarehouseColumn("hotel_ville", "text", "City."))),
    _prop("logiciel", "software", Parse.TEXT,
          Column("software", TEXT, PUBLIC, "Property-management software (single select).", vocabulary=True,
                 warehouse=WarehouseColumn("hotel_logiciel", "text",
                                           "Property-management software (core.logiciel's name)."))),
    _prop("nombre de chambres", "rooms", Parse.INTEGER,
          Column("rooms", "Int64", PUBLIC, "Rooms.",
                 warehouse=WarehouseColumn("nbre_chambre", "integer", "Rooms.", rule=at_least(0)))),
    _prop("tarif horaire ", "hourly_rate", Parse.NUMBER,
          Column("hourly_rate", "float64", PUBLIC, "Default € HT per hour.",
                 warehouse=WarehouseColumn("tarif_horaire", MONEY, "Default € HT per hour.", rule=at_least(0)))),
    _prop("MAJ procédures", "procedures_status", Parse.TEXT,
          Column("procedures_status", TEXT, PUBLIC, "à jour, à faire.", vocabulary=True,
                 warehouse=WarehouseColumn("maj_procedure", "text", "Procedures up to date: à jour, à faire."))),
    _prop("statut", "status", Parse.TEXT,
          Column("status", TEXT, PUBLIC, "client, prospect, perdu.", vocabulary=True,
                 warehouse=WarehouseColumn("status", "text", "client, prospect or perdu."))),
    _prop("Dernier contact", "last_contact", Parse.DATE,
          Column("last_contact", "datetime64[ns]", PUBLIC, "Day of the last sales contact.",
                 warehouse=WarehouseColumn("last_contact", "date", "Day of the last sales contact.")),
          prefix=True, written_as="Dernier contact Arnaud"),
    _prop("notes", "notes", Parse.TEXT,
          Column("notes", TEXT, FREE_TEXT, "Free text; may hold contact names, phones, e-mails.", shared=Shared.NULL,
                 warehouse=WarehouseColumn("notes", "text", "Emptied by anonymisation (may hold contact details)."))),
    _prop("Date de création", "created_at", Parse.DATE,
          Column("created_at", "datetime64[ns]", PUBLIC, "Page creation time, Paris local.",
                 warehouse=WarehouseColumn("date_de_creation", LOCAL_TIME, "Page creation time, Paris local."))),
])

EXTRAS = Database("extras", "Extras", "extra", [
    _prop("ID", "extra_id", Parse.CUSTOM, _id("extra_id", "EXT", "extra")),
    _prop("nom", "name", Parse.TEXT,
          Column("name", TEXT, PERSONAL, "First and last name.", shared=Shared.PERSON,
                 warehouse=WarehouseColumn("nom", "text", "The extra's pseudonym."))),
    _prop("téléphone", "phone", Parse.TEXT, Column("phone", TEXT, PERSONAL, "Phone number.", shared=Shared.DROP)),
    _prop("email", "email", Parse.TEXT, Column("email", TEXT, PERSONAL, "E-mail address.", shared=Shared.DROP)),
    _prop("logiciel", "software", Parse.TEXT,
          Column("software", TEXT, PUBLIC, "Software the extra masters, comma list.", vocabulary=True,
                 warehouse=WarehouseColumn("logiciel", "text", "Software the extra masters, comma list as written."))),
    _prop("statuts", "status", Parse.TEXT,
          Column("status", TEXT, PUBLIC, "disponible, en mission, inactif.", vocabulary=True,
                 warehouse=WarehouseColumn("statuts", "text", "disponible, en mission or inactif."))),
    _prop("vacances", "holidays", Parse.DATE_RANGE,
          Column("holiday_start", "datetime64[ns]", PUBLIC, "Holidays' start, Paris local.",
                 warehouse=WarehouseColumn("vacance_debut", LOCAL_TIME, "Holidays' start.")),
          Column("holiday_end", "datetime64[ns]", PUBLIC, "Holidays' end (the start for a single day).",
                 warehouse=WarehouseColumn("vacance_fin", LOCAL_TIME, "Holidays' end."))),
    _prop("Disponibilités", "availability_slots", Parse.TEXT,
          Column("availability_slots", TEXT, PUBLIC, "matin, après-midi, soir, nuit.", vocabulary=True)),
    _prop("dispos", "availability_days", Parse.TEXT,
          Column("availability_days", TEXT, PUBLIC, "semaine, week-end, jours fériés.", vocabulary=True)),
    Computed(WarehouseColumn("disponibilites", "text", "Disponibilités and dispos together, comma list.",
                             privacy=PUBLIC)),
    _prop("Date de création", "created_at", Parse.DATE,
          Column("created_at", "datetime64[ns]", PUBLIC, "Page creation time, Paris local.",
                 warehouse=WarehouseColumn("date_de_creation", LOCAL_TIME, "Page creation time, Paris local."))),
    _prop("nombre de missions", "missions_count", Parse.INTEGER,
          Column("missions_count", "Int64", PUBLIC, "Notion's rollup of the extra's missions.",
                 warehouse=WarehouseColumn("nbre_mission", "integer", "Notion's count of the extra's missions.",
                                           rule=at_least(0)))),
])

DATABASES: dict[str, Database] = {db.source: db for db in (MISSIONS, HOTELS, EXTRAS)}
SOURCES = tuple(DATABASES)

PARSED = {source: db.parsed for source, db in DATABASES.items()}
ANONYMISED = {source: db.anonymised for source, db in DATABASES.items()}


def empty_frame(schema: dict[str, str]) -> pd.DataFrame:
    """A frame with the schema's columns and dtypes and no rows."""
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in schema.items()})


def conform(frame: pd.DataFrame, schema: dict[str, str], *, keep_extra: bool = False) -> pd.DataFrame:
    """Return ``frame`` with the schema's columns first, in order, cast to their dtypes.

    Raises ``KeyError`` naming the missing columns. Columns outside the schema
    are kept after them when ``keep_extra`` is true, dropped otherwise. A frame
    that already conforms is returned as it is, and only the columns of another
    dtype are cast: a million-row frame is not copied for nothing.
    """
    missing = [c for c in schema if c not in frame.columns]
    if missing:
        raise KeyError(f"frame lacks the columns {missing}")
    order = [*schema, *(c for c in frame.columns if c not in schema and keep_extra)]
    out = frame if list(frame.columns) == order else frame[order]
    wrong = {c: t for c, t in schema.items() if out[c].dtype != t}
    return out.astype(wrong, copy=False) if wrong else out


def reason_kind(reasons: pd.Series) -> pd.Series:
    """The stable part of each reject reason (before ``:``), for counting."""
    return reasons.str.split(":", n=1).str[0]
