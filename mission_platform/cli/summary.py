"""The demo's closing summary: what the warehouse holds now, and where everything is."""

from __future__ import annotations

from pathlib import Path


def summary(warehouse, home: Path) -> str:
    from mission_platform.warehouse.queries import table_counts

    lines = ["== Warehouse =="]
    with warehouse.connect() as conn:
        counts = table_counts(conn)
    for table, count in counts.items():
        lines.append(f"  core.{table:<18} {count:>10,} rows")
    rejected = warehouse.query_frame(
        # Counted by kind: the part of a reason before ':' (the rest names a record or a value).
        "SELECT source, split_part(reason, ':', 1) AS reason, count(*) AS n FROM core.rejected_rows "
        "WHERE export_id = (SELECT export_id FROM core.load_history ORDER BY load_id DESC LIMIT 1) "
        "GROUP BY 1, 2 ORDER BY 1, 3 DESC"
    )
    lines.append("== Rejected rows (latest export) ==")
    lines += [f"  {r.source:<9} {r.n:>6}  {r.reason}" for r in rejected.itertuples()] or ["  none"]
    predictions = warehouse.query_frame(
        "SELECT week_start, round(p10) AS p10, round(p50) AS p50, round(p90) AS p90, already_booked, "
        "extras_needed_p50, extras_needed_p90 FROM reporting.predictions WHERE mean IS NOT NULL ORDER BY week_start"
    )
    lines.append("== Forecast (reporting.predictions) ==")
    lines.append(predictions.to_string(index=False) if len(predictions) else "  no forecast (not enough history)")
    dsn = warehouse.describe()
    lines += [
        "== Where things are ==",
        f"  warehouse : {dsn}",
        f"  psql      : psql '{dsn}'   (the embedded server runs while `mission-platform ui` runs)",
        f"  Dagster   : DAGSTER_HOME={home}; `mission-platform ui` shows these runs",
        "  Looker Studio: needs a server it can reach (e.g. RDS): set MISSION_WAREHOUSE_URL, then connect with the",
        "                 PostgreSQL connector as looker_reader (LOOKER_READER_PASSWORD) to the `reporting` schema",
    ]
    return "\n".join(lines)
