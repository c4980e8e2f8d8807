"""The three databases as typed frames (schemas.PARSED_*), bad rows set aside with a reason.

Every record of a file stays in its frame, with ``row_number`` (1-based,
header not counted) and ``reject_reason`` (NA when kept). A reason reads
``kind`` or ``kind: detail``; the kind is stable and countable, the detail
helps diagnosis. Reasons never quote a name or a title: only column names,
record numbers, counts and values that can hold no personal data.

Order of the rules (the first that applies gives the reason): missing ID;
exact copy of an earlier record (same ID, same content: the first is kept);
an ID shared by records with different content (all set aside); then, for
missions, the relations, resolved against the hotel and extra rows that
remain; then unreadable values.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mission_platform.notion.files import ARROW_STRING, Column, Table, export_error
from mission_platform.notion.values import (
    on_distinct,
    parse_integers,
    parse_local_dates,
    parse_mission_dates,
    parse_numbers,
    parse_overtime,
    parse_statuses,
    quotable,
    restore_zipcode,
    split_relations,
    squeeze,
    strings,
)
from mission_platform.schemas import PARSED_EXTRAS, PARSED_HOTELS, PARSED_MISSIONS, conform

MISSION_COLUMNS = (
    Column("ID", "mission_id"), Column("Propriété", "title"), Column("hôtel", "hotel"), Column("extra", "extra"),
    Column("date", "date_text"), Column("statuts", "statuses"), Column("Texte", "overtime_text"),
    Column("tarif horaire", "hourly_rate"), Column("tarif urgence", "urgent_rate"), Column("facture", "invoice"),
    Column("règlement", "payment_status"),
)
HOTEL_COLUMNS = (
    Column("ID", "hotel_id"), Column("nom", "name"), Column("adresse", "address"), Column("code postal", "zipcode"),
    Column("ville", "city"), Column("logiciel", "software"), Column("nombre de chambres", "rooms"),
    Column("tarif horaire", "hourly_rate"), Column("MAJ procédures", "procedures_status"), Column("statut", "status"),
    Column("Dernier contact", "last_contact", prefix=True), Column("notes", "notes"),
    Column("Date de création", "created_at"),
)
EXTRA_COLUMNS = (
    Column("ID", "extra_id"), Column("nom", "name"), Column("téléphone", "phone"), Column("email", "email"),
    Column("logiciel", "software"), Column("statuts", "status"), Column("vacances", "holidays"),
    Column("Disponibilités", "availability_slots"), Column("dispos", "availability_days"),
    Column("Date de création", "created_at"), Column("nombre de missions", "missions_count"),
)
COLUMNS = {"missions": MISSION_COLUMNS, "hotels": HOTEL_COLUMNS, "extras": EXTRA_COLUMNS}
MAX_MISSION_HOURS = 24

Rule = tuple[pd.Series, "str | pd.Series"]


def first_reason(index: pd.Index, rules: list[Rule]) -> pd.Series:
    """Per row, the reason of the first rule whose mask holds; NA when none does."""
    masks = [mask.to_numpy(dtype=bool) for mask, _ in rules]
    # A reason Series need only cover its mask's rows.
    reasons = [reason.reindex(index).to_numpy(dtype=object) if isinstance(reason, pd.Series) else reason
               for _, reason in rules]
    return pd.Series(np.select(masks, reasons, default=None), index=index, dtype="string")


def quoting_rule(mask: pd.Series, kind: str, text: pd.Series) -> Rule:
    """Rows of ``mask`` set aside as ``kind: 'value'`` when the value can be quoted safely, else ``kind``."""
    subset = text[mask.to_numpy(dtype=bool)].astype(object).str.strip()
    return mask, (kind + ": " + quotable(subset)).fillna(kind)


def identity_rules(ids: pd.Series, table: Table) -> list[Rule]:
    """Missing ID; exact copies of an earlier record (same ID, same content); IDs shared with different content.

    ``ids`` are the file's IDs, stripped; content is compared cell by cell as written.
    """
    missing = ids.isna()
    # Only records whose ID repeats can be copies: compare their whole content.
    repeated = (ids.duplicated(keep=False) & ~missing).to_numpy(dtype=bool)
    content = pd.concat([table.known[repeated], table.unknown[repeated]], axis=1)
    content.columns = range(content.shape[1])
    groups = content.groupby(list(content.columns), dropna=False, sort=False).ngroup()
    original = pd.Series(content.index, index=content.index).groupby(groups.to_numpy()).transform("min")
    copy = pd.Series(False, index=ids.index)
    copy[content.index] = original.to_numpy() != content.index.to_numpy()
    original = original[copy[content.index].to_numpy()]
    remaining_ids = ids.where(~missing & ~copy)
    conflict = remaining_ids.notna() & remaining_ids.duplicated(keep=False)
    sharing = remaining_ids[conflict].map(remaining_ids[conflict].value_counts())
    return [
        (missing, "missing ID"),
        (copy, "duplicate: copy of record " + original.astype(str)),
        (conflict, "ID conflict: " + sharing.astype(str) + " records share the ID with different content"),
    ]


def _finish(table: Table, columns: dict[str, pd.Series], reasons: pd.Series, schema: dict[str, str],
            *, export_id: str, file: str) -> pd.DataFrame:
    clash = [header for header in table.unknown.columns if header in schema]
    if clash:
        raise export_error(export_id, file, f"unexpected columns {clash} clash with the parsed frame's own columns")
    columns = {
        "row_number": pd.Series(table.known.index, index=table.known.index), **columns, "reject_reason": reasons,
        # Unknown columns are kept as written.
        **{header: strings(values, strip=False) for header, values in table.unknown.items()},
    }
    # Cells taken as they are from the file (Arrow strings) become stripped Python strings; the
    # frame is built once, on a fresh index, in the schema's dtypes, so that conform copies it once.
    frame = pd.DataFrame({
        name: (strings(values) if values.dtype == ARROW_STRING else values.astype(schema.get(name, values.dtype))).array
        for name, values in columns.items()
    })
    return conform(frame, schema, keep_extra=True)


def _number_rule(parsed: pd.DataFrame, header: str, text: pd.Series) -> Rule:
    return quoting_rule(parsed["bad"], f"unparseable number in {header}", text)


def _date_rule(bad: pd.Series, header: str, text: pd.Series) -> Rule:
    return quoting_rule(bad, f"unparseable date in {header}", text)


def parse_hotels(table: Table, *, export_id: str, file: str) -> pd.DataFrame:
    """Hotels file -> schemas.PARSED_HOTELS (plus unknown columns). Hotels are keyed by ID: two may share a name."""
    cells = table.known
    ids = strings(cells["hotel_id"])
    rules = identity_rules(ids, table)
    rooms = parse_integers(cells["rooms"])
    rate = parse_numbers(cells["hourly_rate"])
    last_contact = parse_local_dates(cells["last_contact"])
    created = parse_local_dates(cells["created_at"])
    rules += [
        _number_rule(rooms, "nombre de chambres", cells["rooms"]),
        _number_rule(rate, "tarif horaire", cells["hourly_rate"]),
        _date_rule(last_contact["bad"] | last_contact["has_end"], "Dernier contact", cells["last_contact"]),
        _date_rule(created["bad"] | created["has_end"], "Date de création", cells["created_at"]),
    ]
    columns = {
        "hotel_id": ids, "name": cells["name"], "address": cells["address"],
        "zipcode": restore_zipcode(cells["zipcode"]), "city": cells["city"], "software": cells["software"],
        "rooms": rooms["value"], "hourly_rate": rate["value"], "procedures_status": cells["procedures_status"],
        "status": cells["status"], "last_contact": last_contact["start"], "notes": cells["notes"],
        "created_at": created["start"],
    }
    return _finish(table, columns, first_reason(cells.index, rules), PARSED_HOTELS, export_id=export_id, file=file)


def parse_extras(table: Table, *, export_id: str, file: str) -> pd.DataFrame:
    """Extras file -> schemas.PARSED_EXTRAS (plus unknown columns)."""
    cells = table.known
    ids = strings(cells["extra_id"])
    rules = identity_rules(ids, table)
    holidays = parse_local_dates(cells["holidays"])
    created = parse_local_dates(cells["created_at"])
    missions_count = parse_integers(cells["missions_count"])
    rules += [
        _date_rule(holidays["bad"], "vacances", cells["holidays"]),
        _date_rule(created["bad"] | created["has_end"], "Date de création", cells["created_at"]),
        _number_rule(missions_count, "nombre de missions", cells["missions_count"]),
    ]
    columns = {
        "extra_id": ids, "name": cells["name"], "phone": cells["phone"], "email": cells["email"],
        "software": cells["software"], "status": cells["status"],
        "holiday_start": holidays["start"], "holiday_end": holidays["end"],
        "availability_slots": cells["availability_slots"], "availability_days": cells["availability_days"],
        "created_at": created["start"], "missions_count": missions_count["value"],
    }
    return _finish(table, columns, first_reason(cells.index, rules), PARSED_EXTRAS, export_id=export_id, file=file)


def resolve_relations(cells: pd.Series, targets: pd.DataFrame, id_column: str, what: str, *,
                      required: bool) -> pd.DataFrame:
    """Relation cells -> ``title``, ``page_id``, the target's ID (``target_id``) and ``problem``.

    ``targets`` is a parsed hotels or extras frame; titles match its ``name``
    after trimming. Only its kept rows count; a title matching only rows set
    aside there is reported as such. ``problem`` is the reason to set the
    mission aside (NA when none): missing (when ``required``), several pages,
    ambiguous, set aside in the target file, unknown. Resolved once per
    distinct cell.
    """
    keys = squeeze(targets["name"].astype(object))
    kept = targets["reject_reason"].isna() & keys.notna()
    sharing_counts = keys[kept].value_counts()
    ids_by_title = pd.Series(targets.loc[kept, id_column].to_numpy(), index=keys[kept].to_numpy())
    ids_by_title = ids_by_title[~ids_by_title.index.duplicated(keep=False)]
    set_aside_titles = keys[~kept].dropna()

    def resolve(uniques: pd.Series) -> pd.DataFrame:
        parts = split_relations(uniques)
        titles = parts["title"]
        sharing = titles.map(sharing_counts)
        target_id = titles.map(ids_by_title)
        problems = [
            (titles.isna() & required, f"missing {what}"),
            (parts["several"], f"several {what}s"),
            (sharing > 1, f"ambiguous {what}: " + sharing.astype("Int64").astype(str) + f" {what}s share the title"),
            (titles.isin(set_aside_titles) & sharing.isna(), f"{what} set aside: its row in the {what}s file is set aside"),
            (titles.notna() & target_id.isna(), f"unknown {what}"),
        ]
        return parts.assign(target_id=target_id, problem=first_reason(parts.index, problems).astype(object))

    return on_distinct(cells, resolve)


def parse_missions(table: Table, hotels: pd.DataFrame, extras: pd.DataFrame, *, export_id: str,
                   file: str) -> pd.DataFrame:
    """Missions file -> schemas.PARSED_MISSIONS (plus unknown columns), relations resolved to IDs.

    ``hotels`` and ``extras`` are the parsed frames of the same export. An
    empty extra is a mission not yet assigned (valid); an empty hotel is not.
    Dates: see :func:`values.parse_mission_dates`; a mission ending before it
    starts or lasting over 24 h is set aside.
    """
    cells = table.known
    ids = strings(cells["mission_id"])
    rules = identity_rules(ids, table)
    hotel = resolve_relations(cells["hotel"], hotels, "hotel_id", "hotel", required=True)
    extra = resolve_relations(cells["extra"], extras, "extra_id", "extra", required=False)
    dates = parse_mission_dates(cells["date_text"])
    hours = (dates["end"] - dates["start"]).dt.total_seconds() / 3600
    statuses = parse_statuses(cells["statuses"])
    overtime = parse_overtime(cells["overtime_text"])
    hourly_rate = parse_numbers(cells["hourly_rate"])
    urgent_rate = parse_numbers(cells["urgent_rate"])
    rules += [
        (hotel["problem"].notna(), hotel["problem"]),
        (extra["problem"].notna(), extra["problem"]),
        _date_rule(dates["bad"], "date", cells["date_text"]),
        quoting_rule(hours < 0, "end before start", cells["date_text"]),
        (hours > MAX_MISSION_HOURS, f"longer than {MAX_MISSION_HOURS} h: " + hours[hours > MAX_MISSION_HOURS].round(2).astype(str) + " h"),
        _number_rule(hourly_rate, "tarif horaire", cells["hourly_rate"]),
        _number_rule(urgent_rate, "tarif urgence", cells["urgent_rate"]),
        (statuses["cancelled_by_both"], "cancelled by both the extra and the hotel"),
        # A mission that happens is billed at the rate its status calls for: without it the amounts
        # would be missing while the extra's pay is not (a cancelled mission costs nothing either way).
        (statuses["cancelled_by"].isna() & ~statuses["urgent"] & hourly_rate["value"].isna(), "missing tarif horaire"),
        (statuses["cancelled_by"].isna() & statuses["urgent"] & urgent_rate["value"].isna(), "missing tarif urgence"),
    ]
    columns = {
        "mission_id": ids, "title": cells["title"],
        "hotel_title": hotel["title"], "extra_title": extra["title"],
        "hotel_page_id": hotel["page_id"], "extra_page_id": extra["page_id"],
        "hotel_id": hotel["target_id"], "extra_id": extra["target_id"],
        "date_text": cells["date_text"], "start": dates["start"], "end": dates["end"],
        "statuses": cells["statuses"], "urgent": statuses["urgent"], "cancelled_by": statuses["cancelled_by"],
        "overtime_text": cells["overtime_text"], "overtime_hours": overtime["hours"],
        "overtime_unparsed": overtime["unparsed"],
        "hourly_rate": hourly_rate["value"], "urgent_rate": urgent_rate["value"],
        "invoice": cells["invoice"], "payment_status": cells["payment_status"],
    }
    return _finish(table, columns, first_reason(cells.index, rules), PARSED_MISSIONS, export_id=export_id, file=file)
