"""Materialisation metadata shared by every stage: row counts, column schemas, small tables."""

from __future__ import annotations

import dagster as dg
import pandas as pd


def column_schema(frame: pd.DataFrame) -> dg.TableSchema:
    return dg.TableSchema(columns=[dg.TableColumn(name=str(c), type=str(t)) for c, t in frame.dtypes.items()])


def frame_metadata(frame: pd.DataFrame, **extra: object) -> dict[str, object]:
    """``dagster/row_count`` and ``dagster/column_schema`` of a frame, plus ``extra``."""
    return {
        "dagster/row_count": dg.MetadataValue.int(len(frame)),
        "dagster/column_schema": column_schema(frame),
        **extra,
    }


def table_preview(frame: pd.DataFrame, *, max_rows: int = 20) -> dg.MetadataValue:
    """A small frame rendered as a Markdown table (the UI shows it as a table)."""
    head = frame.head(max_rows)
    header = "| " + " | ".join(map(str, head.columns)) + " |"
    rule = "| " + " | ".join("---" for _ in head.columns) + " |"
    body = ["| " + " | ".join("" if pd.isna(v) else str(v) for v in row) + " |" for row in head.itertuples(index=False)]
    return dg.MetadataValue.md("\n".join([header, rule, *body]))


def reasons_metadata(frame: pd.DataFrame) -> dict[str, object]:
    """How many rows were set aside, and why (reasons carry no personal data)."""
    from mission_platform.notion import reason_kind

    reasons = frame["reject_reason"].dropna()
    counts = reason_kind(reasons).value_counts().sort_index()
    return {
        "rows_set_aside": dg.MetadataValue.int(int(len(reasons))),
        "set_aside_by_reason": dg.MetadataValue.json({str(k): int(v) for k, v in counts.items()}),
    }
