"""Materialisation metadata shared by every stage: row counts, column schemas, small tables, charts."""

from __future__ import annotations

import base64

import dagster as dg
import pandas as pd

from mission_platform.columns import reason_kind


def _build_dagster_records() -> None:
    """Build each Dagster record type the metadata is made of once, here, where no variable holds data.

    Dagster compiles a record type's constructor at its first call and keeps that caller's local
    variables with it for the life of the process: the first ``TableSchema``, built from the parsed
    missions, kept them (460 MB of a million-mission run) until the command line ended.
    """
    dg.TableSchema(columns=[dg.TableColumn(name="", type="", constraints=dg.TableColumnConstraints(nullable=True))])


_build_dagster_records()


def column_schema(frame: pd.DataFrame) -> dg.TableSchema:
    return dg.TableSchema(columns=[dg.TableColumn(name=str(c), type=str(t)) for c, t in frame.dtypes.items()])


def frame_metadata(frame: pd.DataFrame, **extra: object) -> dict[str, object]:
    """``dagster/row_count`` and ``dagster/column_schema`` of a frame, plus ``extra``."""
    return {
        "dagster/row_count": dg.MetadataValue.int(len(frame)),
        "dagster/column_schema": column_schema(frame),
        **extra,
    }


def table_metadata(table, row_count: int, **extra: object) -> dict[str, object]:
    """``dagster/row_count`` and the PostgreSQL columns of a warehouse table (``tables.Table``), with their meaning."""
    columns = [
        dg.TableColumn(
            name=c.name, type=c.sql, description=c.description,
            constraints=dg.TableColumnConstraints(nullable=not c.not_null),
        )
        for c in table.columns
    ]
    return {
        "dagster/row_count": dg.MetadataValue.int(int(row_count)),
        "dagster/column_schema": dg.TableSchema(columns=columns),
        **extra,
    }


def _cell(value: object) -> str:
    if value is None or (not isinstance(value, (list, tuple)) and pd.isna(value)):
        return ""
    if isinstance(value, pd.Timestamp) and value == value.normalize():
        return value.date().isoformat()   # a week or a day, not midnight
    return str(value)


def table_preview(frame: pd.DataFrame, *, max_rows: int = 20) -> dg.MetadataValue:
    """A small frame rendered as a Markdown table (the UI shows it as a table); days shown as dates."""
    head = frame.head(max_rows)
    header = "| " + " | ".join(map(str, head.columns)) + " |"
    rule = "| " + " | ".join("---" for _ in head.columns) + " |"
    body = ["| " + " | ".join(_cell(v) for v in row) + " |" for row in head.itertuples(index=False)]
    return dg.MetadataValue.md("\n".join([header, rule, *body]))


def chart(png: bytes, title: str) -> dg.MetadataValue:
    """A PNG chart embedded in Markdown, which the asset page shows as a picture."""
    return dg.MetadataValue.md(f"![{title}](data:image/png;base64,{base64.b64encode(png).decode('ascii')})")


def reasons_metadata(frame: pd.DataFrame) -> dict[str, object]:
    """How many rows were set aside, and why (reasons carry no personal data)."""
    reasons = frame["reject_reason"].dropna()
    counts = reason_kind(reasons).value_counts().sort_index()
    return {
        "rows_set_aside": dg.MetadataValue.int(int(len(reasons))),
        "set_aside_by_reason": dg.MetadataValue.json({str(k): int(v) for k, v in counts.items()}),
    }
