"""The frames that pass between stages, column by column.

Every stage reads and writes exactly these columns, so a stage can be tested
with a hand-made frame and the next stage can rely on the names and dtypes.
The raw stage (``notion``) keeps every record of a file, one row each, with
``row_number`` (1-based position in the file, header not counted) and
``reject_reason`` (null when the row is kept; otherwise why it was set aside).
Rows read = rows kept + rows set aside therefore holds by construction and is
checked downstream against the warehouse.

Timestamps of missions are instants (UTC); the warehouse turns them into
Europe/Paris business time. Creation times, holidays and last-contact dates
are Notion renderings without a zone: they are Paris local time, naive.
"""

from __future__ import annotations

import pandas as pd

# Column name -> pandas dtype. Order is the order the stages write.
PARSED_MISSIONS: dict[str, str] = {
    "row_number": "int64",
    "mission_id": "string",          # ID, e.g. MIS-1042
    "title": "string",               # Propriété (holds a hotel name: personal)
    "hotel_title": "string",         # relation title (personal)
    "extra_title": "string",         # relation title (personal)
    "hotel_page_id": "string",       # 32-hex Notion page id from the relation URL (personal)
    "extra_page_id": "string",
    "hotel_id": "string",            # resolved HOT-… ; null when unresolved
    "extra_id": "string",            # resolved EXT-… ; null = not yet assigned (or unresolved: then rejected)
    "date_text": "string",           # the date cell as written, for diagnosis
    "start": "datetime64[ns, UTC]",
    "end": "datetime64[ns, UTC]",
    "statuses": "string",            # multi-select as written (comma list)
    "urgent": "bool",
    "cancelled_by": "string",        # 'extra', 'hotel' or null
    "overtime_text": "string",       # Texte as written
    "overtime_hours": "float64",     # 0 when none or unparseable
    "overtime_unparsed": "bool",     # text present but no duration found in it
    "hourly_rate": "float64",        # tarif horaire, € HT / h
    "urgent_rate": "float64",        # tarif urgence, € HT / h
    "invoice": "string",             # facture
    "payment_status": "string",      # règlement
    "reject_reason": "string",
}

PARSED_HOTELS: dict[str, str] = {
    "row_number": "int64",
    "hotel_id": "string",            # ID, e.g. HOT-12
    "name": "string",                # nom, trimmed (personal)
    "address": "string",             # adresse (personal)
    "zipcode": "string",             # code postal, 5 digits, leading zeros restored
    "city": "string",
    "software": "string",            # logiciel (single select)
    "rooms": "Int64",                # nombre de chambres
    "hourly_rate": "float64",        # 'tarif horaire ' (trailing space in the header)
    "procedures_status": "string",   # MAJ procédures
    "status": "string",              # statut: client, prospect, perdu
    "last_contact": "datetime64[ns]",  # 'Dernier contact <first name>', a date
    "notes": "string",               # free text (personal)
    "created_at": "datetime64[ns]",  # Date de création, Paris local
    "reject_reason": "string",
}

PARSED_EXTRAS: dict[str, str] = {
    "row_number": "int64",
    "extra_id": "string",            # ID, e.g. EXT-87
    "name": "string",                # nom (personal)
    "phone": "string",               # téléphone (personal)
    "email": "string",               # (personal)
    "software": "string",            # logiciel, comma list as written
    "status": "string",              # statuts
    "holiday_start": "datetime64[ns]",  # vacances, Paris local
    "holiday_end": "datetime64[ns]",
    "availability_slots": "string",  # Disponibilités: matin, après-midi, soir, nuit
    "availability_days": "string",   # dispos: semaine, week-end, jours fériés
    "created_at": "datetime64[ns]",
    "missions_count": "Int64",       # nombre de missions (rollup)
    "reject_reason": "string",
}

# What anonymisation removes from each frame (besides unknown extra columns,
# which it drops because nobody vouched for their content).
DROPPED_BY_ANONYMISATION: dict[str, tuple[str, ...]] = {
    "missions": ("title", "hotel_title", "extra_title", "hotel_page_id", "extra_page_id"),
    "hotels": (),
    "extras": ("phone", "email"),
}

ANONYMISED_MISSIONS: dict[str, str] = {
    c: t for c, t in PARSED_MISSIONS.items() if c not in DROPPED_BY_ANONYMISATION["missions"]
}
# Hotels: name and address become pseudonyms; notes are dropped (set to null).
ANONYMISED_HOTELS: dict[str, str] = dict(PARSED_HOTELS)
ANONYMISED_EXTRAS: dict[str, str] = {
    c: t for c, t in PARSED_EXTRAS.items() if c not in DROPPED_BY_ANONYMISATION["extras"]
}

PARSED = {"missions": PARSED_MISSIONS, "hotels": PARSED_HOTELS, "extras": PARSED_EXTRAS}
ANONYMISED = {"missions": ANONYMISED_MISSIONS, "hotels": ANONYMISED_HOTELS, "extras": ANONYMISED_EXTRAS}

# The personal-data columns of the raw frames: every distinct value in them
# must be absent from anything anonymisation writes.
PERSONAL_COLUMNS: dict[str, tuple[str, ...]] = {
    "missions": ("title", "hotel_title", "extra_title", "hotel_page_id", "extra_page_id"),
    "hotels": ("name", "address", "notes"),
    "extras": ("name", "phone", "email"),
}

SOURCES = ("missions", "hotels", "extras")


def empty_frame(schema: dict[str, str]) -> pd.DataFrame:
    """A frame with the schema's columns and dtypes and no rows."""
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in schema.items()})


def conform(frame: pd.DataFrame, schema: dict[str, str], *, keep_extra: bool = False) -> pd.DataFrame:
    """Return ``frame`` with the schema's columns first, in order, cast to their dtypes.

    Raises ``KeyError`` naming the missing columns. Columns outside the schema
    are kept after them when ``keep_extra`` is true, dropped otherwise.
    """
    missing = [c for c in schema if c not in frame.columns]
    if missing:
        raise KeyError(f"frame lacks the columns {missing}")
    out = frame[list(schema)].astype(schema)
    if keep_extra:
        extra = [c for c in frame.columns if c not in schema]
        out = pd.concat([out, frame[extra]], axis=1)
    return out
