"""The three databases as typed frames (the column registry's parsed schemas), bad rows set aside with a reason.

Every record of a file stays in its frame, with ``row_number`` (1-based,
header not counted) and ``reject_reason`` (NA when kept). A reason reads
``kind`` or ``kind: detail``; the kind is stable and countable, the detail
helps diagnosis. Reasons never quote a name or a title: only column names,
record numbers, counts and values that can hold no personal data.

Order of the rules (the first that applies gives the reason): missing ID;
exact copy of an earlier record (same ID, same content: the first is kept);
an ID shared by records with different content (all set aside); then, for
missions, the relations, resolved against the hotel and extra rows that
remain; then unreadable values; last, the rules the warehouse enforces on a
column (a negative rate, a postal code that is not five digits), so that the
publish only ever meets rows that satisfy them.

Properties of a generic kind (text, number, integer, postal code, date, date
range: ``columns.Parse``) are parsed from the registry alone; the others
(ids, relations, mission dates, statuses, overtime) have their code here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mission_platform.columns import EXTRAS, HOTELS, MISSIONS, TEXT, Database, Parse, conform
from mission_platform.lake_layout import export_date
from mission_platform.settings import DEFAULT_DATE_SPAN
from mission_platform.notion.files import Table, export_error
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

MAX_MISSION_HOURS = 24
# A mission outside these years around the export date is a typo (1900, 2099), not history: kept, it would
# stretch the weekly series over centuries (MISSION_MAX_YEARS_BACK, MISSION_MAX_YEARS_AHEAD).
YEARS_BEFORE_EXPORT = DEFAULT_DATE_SPAN.years_back
YEARS_AFTER_EXPORT = DEFAULT_DATE_SPAN.years_ahead

Rule = tuple[pd.Series, "str | pd.Series"]


def first_reason(index: pd.Index, rules: list[Rule]) -> pd.Series:
    """Per row, the reason of the first rule whose mask holds; NA when none does."""
    masks = [mask.to_numpy(dtype=bool) for mask, _ in rules]
    # A reason Series need only cover its mask's rows.
    reasons = [reason.reindex(index).to_numpy(dtype=object) if isinstance(reason, pd.Series) else reason
               for _, reason in rules]
    return pd.Series(np.select(masks, reasons, default=None), index=index, dtype=TEXT)


def quoting_rule(mask: pd.Series, kind: str, text: pd.Series) -> Rule:
    """Rows of ``mask`` set aside as ``kind: 'value'`` when the value can be quoted safely, else ``kind``."""
    subset = text[mask.to_numpy(dtype=bool)].astype(object).str.strip()
    return mask, (kind + ": " + quotable(subset)).fillna(kind)


def _sharing(codes: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Per record of ``rows`` (a mask), how many of ``rows`` carry its code (``pd.factorize``'s); 0 elsewhere."""
    counts = np.bincount(codes[rows], minlength=codes.max(initial=0) + 1)
    return np.where(rows, counts[np.maximum(codes, 0)], 0)


def identity_rules(ids: pd.Series, table: Table) -> list[Rule]:
    """Missing ID; exact copies of an earlier record (same ID, same content); IDs shared with different content.

    ``ids`` are the file's IDs, stripped; content is compared cell by cell as written.
    """
    missing = ids.isna()
    present = ~missing.to_numpy(dtype=bool)
    # Each ID hashed once: how many records share it is then counting codes, for both questions below.
    codes = pd.factorize(ids)[0]
    # Only records whose ID repeats can be copies: compare their whole content.
    repeated = _sharing(codes, present) > 1
    content = pd.concat([table.known[repeated], table.unknown[repeated]], axis=1)
    content.columns = range(content.shape[1])
    groups = content.groupby(list(content.columns), dropna=False, sort=False).ngroup()
    original = pd.Series(content.index, index=content.index).groupby(groups.to_numpy()).transform("min")
    copy = pd.Series(False, index=ids.index)
    copy[content.index] = original.to_numpy() != content.index.to_numpy()
    original = original[copy[content.index].to_numpy()]
    shared = pd.Series(_sharing(codes, present & ~copy.to_numpy(dtype=bool)), index=ids.index)
    conflict = shared > 1
    sharing = shared[conflict]
    return [
        (missing, "missing ID"),
        (copy, "duplicate: copy of record " + original.astype(str)),
        (conflict, "ID conflict: " + sharing.astype(str) + " records share the ID with different content"),
        (table.too_long.notna(), table.too_long),
    ]


def _finish(table: Table, columns: dict[str, pd.Series], reasons: pd.Series, database: Database,
            *, export_id: str, file: str) -> pd.DataFrame:
    schema = database.parsed
    clash = [header for header in table.unknown.columns if header in schema]
    if clash:
        raise export_error(export_id, file, f"unexpected columns {clash} clash with the parsed frame's own columns")
    columns = {
        "row_number": pd.Series(table.known.index, index=table.known.index), **columns, "reject_reason": reasons,
    }
    # Cells taken as they are from the file are stripped; the frame is built once, on a fresh
    # index, in the schema's order and dtypes, so that conform has nothing left to copy.
    frame = pd.DataFrame({
        **{name: (strings(columns[name]) if columns[name].dtype == TEXT else columns[name].astype(dtype)).array
           for name, dtype in schema.items()},
        # Unknown columns are kept as written.
        **{header: values.array for header, values in table.unknown.items()},
    })
    return conform(frame, schema, keep_extra=True)


def _number_rule(parsed: pd.DataFrame, header: str, text: pd.Series) -> Rule:
    return quoting_rule(parsed["bad"], f"unparseable number in {header}", text)


def _date_rule(bad: pd.Series, header: str, text: pd.Series) -> Rule:
    return quoting_rule(bad, f"unparseable date in {header}", text)


def parse_generic(cells: pd.DataFrame, database: Database) -> tuple[dict[str, pd.Series], list[Rule]]:
    """The columns of the properties of a generic kind, and the rules setting aside their unreadable cells."""
    columns: dict[str, pd.Series] = {}
    rules: list[Rule] = []
    for prop in database.properties:
        text, names, label = cells[prop.key], [c.name for c in prop.columns], prop.label
        if prop.parse is Parse.TEXT:
            columns[names[0]] = text
        elif prop.parse in (Parse.NUMBER, Parse.INTEGER):
            parsed = (parse_numbers if prop.parse is Parse.NUMBER else parse_integers)(text)
            columns[names[0]] = parsed["value"]
            rules.append(_number_rule(parsed, label, text))
        elif prop.parse is Parse.ZIPCODE:
            columns[names[0]] = restore_zipcode(text)
        elif prop.parse is Parse.DATE:
            parsed = parse_local_dates(text)
            columns[names[0]] = parsed["start"]
            rules.append(_date_rule(parsed["bad"] | parsed["has_end"], label, text))
        elif prop.parse is Parse.DATE_RANGE:
            parsed = parse_local_dates(text)
            columns[names[0]], columns[names[1]] = parsed["start"], parsed["end"]
            rules.append(_date_rule(parsed["bad"], label, text))
    return columns, rules


def warehouse_rules(cells: pd.DataFrame, columns: dict[str, pd.Series], database: Database) -> list[Rule]:
    """A row whose value breaks a rule of the column it is loaded into is set aside here, not refused at publish."""
    rules: list[Rule] = []
    for prop in database.properties:
        for column in prop.columns:
            rule = column.warehouse.rule if column.warehouse is not None else None
            if rule is not None and column.name in columns:
                broken = pd.Series(rule.test(columns[column.name])).fillna(False).astype(bool)
                rules.append(quoting_rule(broken, f"{rule.reason} in {prop.label}", cells[prop.key]))
    return rules


def parse_hotels(table: Table, *, export_id: str, file: str) -> pd.DataFrame:
    """Hotels file -> the parsed hotels frame (plus unknown columns). Hotels are keyed by ID: two may share a name."""
    ids = strings(table.known["hotel_id"])
    columns, rules = parse_generic(table.known, HOTELS)
    columns = {"hotel_id": ids, **columns}
    rules = identity_rules(ids, table) + rules + warehouse_rules(table.known, columns, HOTELS)
    return _finish(table, columns, first_reason(table.known.index, rules), HOTELS, export_id=export_id, file=file)


def parse_extras(table: Table, *, export_id: str, file: str) -> pd.DataFrame:
    """Extras file -> the parsed extras frame (plus unknown columns)."""
    ids = strings(table.known["extra_id"])
    columns, rules = parse_generic(table.known, EXTRAS)
    columns = {"extra_id": ids, **columns}
    backwards = columns["holiday_end"] < columns["holiday_start"]   # extra_vacances_check in the warehouse
    rules = identity_rules(ids, table) + rules + [
        quoting_rule(backwards, "holidays end before they start in vacances", table.known["holidays"]),
    ] + warehouse_rules(table.known, columns, EXTRAS)
    return _finish(table, columns, first_reason(table.known.index, rules), EXTRAS, export_id=export_id, file=file)


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
                   file: str, years_before: int = YEARS_BEFORE_EXPORT, years_after: int = YEARS_AFTER_EXPORT) -> pd.DataFrame:
    """Missions file -> the parsed missions frame (plus unknown columns), relations resolved to IDs.

    ``hotels`` and ``extras`` are the parsed frames of the same export. An
    empty extra is a mission not yet assigned (valid); an empty hotel is not.
    Dates: see :func:`values.parse_mission_dates`; a mission ending before it
    starts or lasting over 24 h is set aside, and so is one starting more than
    ``years_before`` years before the export date or ``years_after`` after it.
    """
    cells = table.known
    day = pd.Timestamp(export_date(export_id), tz="UTC")
    ids = strings(cells["mission_id"])
    generic, generic_rules = parse_generic(cells, MISSIONS)
    hotel = resolve_relations(cells["hotel"], hotels, "hotel_id", "hotel", required=True)
    extra = resolve_relations(cells["extra"], extras, "extra_id", "extra", required=False)
    dates = parse_mission_dates(cells["date_text"])
    hours = (dates["end"] - dates["start"]).dt.total_seconds() / 3600
    implausible = ((dates["start"] < day - pd.DateOffset(years=years_before))
                   | (dates["start"] > day + pd.DateOffset(years=years_after)))
    statuses = parse_statuses(cells["statuses"])
    overtime = parse_overtime(cells["overtime_text"])
    columns = {
        "mission_id": ids, **generic,
        "hotel_title": hotel["title"], "hotel_page_id": hotel["page_id"], "hotel_id": hotel["target_id"],
        "extra_title": extra["title"], "extra_page_id": extra["page_id"], "extra_id": extra["target_id"],
        "date_text": cells["date_text"], "start": dates["start"], "end": dates["end"],
        "statuses": cells["statuses"], "urgent": statuses["urgent"], "cancelled_by": statuses["cancelled_by"],
        "overtime_text": cells["overtime_text"], "overtime_hours": overtime["hours"],
        "overtime_unparsed": overtime["unparsed"],
    }
    rules = identity_rules(ids, table) + [
        (hotel["problem"].notna(), hotel["problem"]),
        (extra["problem"].notna(), extra["problem"]),
        _date_rule(dates["bad"], "date", cells["date_text"]),
        (dates["start"].isna(), "missing date"),
        (implausible, f"implausible date: more than {years_before} years before or {years_after} after the export, in "
         + dates["start"][implausible].dt.year.astype("Int64").astype(str)),
        quoting_rule(hours < 0, "end before start", cells["date_text"]),
        (hours > MAX_MISSION_HOURS, f"longer than {MAX_MISSION_HOURS} h: " + hours[hours > MAX_MISSION_HOURS].round(2).astype(str) + " h"),
        *generic_rules,
        (statuses["cancelled_by_both"], "cancelled by both the extra and the hotel"),
        # A mission that happens is billed at the rate its status calls for: without it the amounts
        # would be missing while the extra's pay is not (a cancelled mission costs nothing either way).
        (statuses["cancelled_by"].isna() & ~statuses["urgent"] & columns["hourly_rate"].isna(), "missing tarif horaire"),
        (statuses["cancelled_by"].isna() & statuses["urgent"] & columns["urgent_rate"].isna(), "missing tarif urgence"),
        *warehouse_rules(cells, columns, MISSIONS),
    ]
    return _finish(table, columns, first_reason(cells.index, rules), MISSIONS, export_id=export_id, file=file)
