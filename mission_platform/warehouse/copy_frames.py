"""COPY a frame into a table: pyarrow writes CSV batches while a worker thread sends the previous one."""

from __future__ import annotations

import io

import pandas as pd
import psycopg
import pyarrow as pa
import pyarrow.csv as pa_csv
from psycopg import sql
from psycopg.copy import QueuedLibpqWriter

COPY_BATCH_ROWS = 50_000


def _csv_batches(frame: pd.DataFrame):
    """The frame as CSV (no header; null = empty field, empty text = ``""``), batch by batch.

    Each batch is converted on its own, so the first rows reach the server while
    the next ones are still being serialised.
    """
    options = pa_csv.WriteOptions(include_header=False)
    for start in range(0, len(frame), COPY_BATCH_ROWS):
        batch = pa.Table.from_pandas(frame.iloc[start:start + COPY_BATCH_ROWS], preserve_index=False)
        buffer = io.BytesIO()  # a new one each time: the COPY writer may still hold the previous batch
        pa_csv.write_csv(batch, buffer, options)
        yield buffer.getbuffer()


def copy_frame(conn: psycopg.Connection, table: sql.Composable, frame: pd.DataFrame, *, freeze: bool = False) -> int:
    """COPY ``frame`` (its columns, by name) into ``table``; return the number of rows the server took.

    A worker thread sends each batch while the next is serialised (the server
    parses on one core while pyarrow writes on the other). ``freeze``: the table
    was created in this transaction, so its rows can be written frozen, which
    spares the first readers from rewriting every page to set hint bits.
    """
    columns = sql.SQL(", ").join(sql.Identifier(c) for c in frame.columns)
    options = sql.SQL("FORMAT csv, FREEZE") if freeze else sql.SQL("FORMAT csv")
    statement = sql.SQL("COPY {} ({}) FROM STDIN ({})").format(table, columns, options)
    with conn.cursor() as cur:
        with cur.copy(statement, writer=QueuedLibpqWriter(cur)) as copy:
            for chunk in _csv_batches(frame):
                copy.write(chunk)
        return cur.rowcount
