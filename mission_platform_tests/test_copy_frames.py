"""COPY into a table: the binary format gives the rows the CSV format gives, value for value, or is not used.

The reference is the CSV path (what every load used before the binary format), on the real server.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import psycopg
import pyarrow as pa
import pytest
from psycopg import sql

from mission_platform.columns import TEXT
from mission_platform.warehouse import copy_frames
from mission_platform.warehouse.copy_frames import copy_frame

COLUMNS = """
    label text, note varchar(40), small smallint, whole integer, big bigint, ratio double precision, share real,
    amount numeric(12,2), hours numeric(7,4), units numeric(9,0), flag boolean, day date, moment timestamp
"""


def every_type(rows: int = 0) -> pd.DataFrame:
    """Awkward values of every type the binary format writes, a NULL in each column."""
    frame = pd.DataFrame({
        "label": pd.array(["é, \"quoted\"\nnew line", "", None, "tab\there", "ünï ☃ 𝄞", "plain"], dtype=TEXT),
        "note": pd.array(["a", None, "b", "", "c", "d"], dtype="string"),
        "small": pd.array([-32768, 32767, None, 0, 1, -1], dtype="Int64"),
        "whole": pd.array([-2**31, 2**31 - 1, 0, None, 7, -7], dtype="Int32"),
        "big": np.array([-2**62, 2**62, 0, 1, -1, 123456789012], dtype="int64"),
        "ratio": [0.1, -1e300, np.nan, 5e-324, 2.5, -0.0],
        "share": np.array([0.1, -2.5, np.nan, 3.25, 1e30, 0.0], dtype="float32"),
        # Halves as the float holds them (2.675 is 2.67499999... in binary, its text says 2.675), negatives,
        # negative zero, more decimals than the scale, the largest values the columns hold.
        "amount": [2.675, -2.675, np.nan, 1.005, -0.0, 9999999999.99],
        "hours": [0.00005, -12.34565, 999.9999, np.nan, 7.5, 0.28499999],
        "units": [0.5, 1.5, -2.5, 123456789.0, np.nan, 42.0],
        "flag": pd.array([True, False, None, True, False, True], dtype="boolean"),
        "day": [dt.date(1999, 12, 31), dt.date(2000, 1, 1), None, dt.date(1970, 1, 1), dt.date(2024, 2, 29),
                dt.date(1, 1, 1)],
        "moment": pd.to_datetime(["1999-12-31 23:59:59.999999", "2000-01-01", None, "2024-03-31 02:30:00",
                                  "1970-01-01 00:00:00.000001", "2262-04-11 23:47:16"], format="ISO8601"),
    })
    return frame if not rows else frame.sample(rows, replace=True, random_state=0, ignore_index=True)


def create(conn: psycopg.Connection, name: str, columns: str = COLUMNS) -> sql.Identifier:
    conn.execute(sql.SQL("CREATE TABLE {} (" + columns + ")").format(sql.Identifier(name)))
    return sql.Identifier(name)


def table_rows(conn: psycopg.Connection, name: str) -> list[tuple]:
    # Sorted on their text: NULLs, NaN and negative zero compare as the server stores them.
    return conn.execute(sql.SQL("SELECT * FROM {} t ORDER BY t::text").format(sql.Identifier(name))).fetchall()


def as_csv(monkeypatch) -> None:
    monkeypatch.setattr(copy_frames, "_binary_fields", lambda table, types: None)


def binary_used(conn: psycopg.Connection, table: sql.Identifier, frame: pd.DataFrame) -> bool:
    fields = copy_frames._binary_fields(pa.Table.from_pandas(frame, preserve_index=False),
                                        copy_frames._column_types(conn, table))
    return fields is not None


@pytest.fixture
def conn(warehouse_url):
    with psycopg.connect(warehouse_url) as connection:
        yield connection


def test_binary_rows_equal_the_csv_rows_for_every_type(conn, monkeypatch):
    frame = every_type()
    binary = create(conn, "via_binary")
    assert binary_used(conn, binary, frame)
    assert copy_frame(conn, binary, frame) == len(frame)
    as_csv(monkeypatch)
    assert copy_frame(conn, create(conn, "via_csv"), frame) == len(frame)
    assert table_rows(conn, "via_binary") == table_rows(conn, "via_csv")
    # And what they hold is what was meant: the halves rounded away from zero, as the text reads.
    amounts = dict(conn.execute("SELECT label, amount::text FROM via_binary WHERE label IN ('', 'plain')").fetchall())
    assert amounts == {"": "-2.68", "plain": "9999999999.99"}
    assert conn.execute("SELECT count(*) FROM via_binary WHERE label IS NULL AND note = 'b'").fetchone() == (1,)


def test_binary_rows_equal_the_csv_rows_across_batches(conn, monkeypatch):
    monkeypatch.setattr(copy_frames, "COPY_BATCH_ROWS", 7)   # several batches, a NULL in most
    frame = every_type(100)
    rng = np.random.default_rng(1)
    # Random amounts with up to 5 decimals: every rounding the server does on a CSV text, done the same.
    for column, bound, most in (("amount", 1e6, 5), ("hours", 999, 6)):
        frame[column] = [round(v, int(d)) for v, d in zip(rng.uniform(-bound, bound, len(frame)),
                                                          rng.integers(0, most + 1, len(frame)))]
    assert copy_frame(conn, create(conn, "via_binary"), frame, freeze=False) == 100
    as_csv(monkeypatch)
    copy_frame(conn, create(conn, "via_csv"), frame)
    assert table_rows(conn, "via_binary") == table_rows(conn, "via_csv")


def test_the_mission_frames_go_binary(conn):
    """The warehouse's own columns (Arrow text, nanosecond timestamps, money and hours) are all written in binary."""
    frame = pd.DataFrame({
        "mission_id": pd.array(["MIS-1", "MIS-2"], dtype=TEXT),
        "date_debut": pd.to_datetime(["2024-04-08 08:00", "2024-04-09 22:00"]).astype("datetime64[ns]"),
        "total_ht": [324.0, np.nan],
        "duree_mission": [8.0, 7.0],
    })
    table = create(conn, "missions", "mission_id text, date_debut timestamp, total_ht numeric(12,2), "
                                     "duree_mission numeric(7,4)")
    assert binary_used(conn, table, frame)
    copy_frame(conn, table, frame)
    assert table_rows(conn, "missions") == [
        ("MIS-1", dt.datetime(2024, 4, 8, 8), pytest.approx(324), pytest.approx(8)),
        ("MIS-2", dt.datetime(2024, 4, 9, 22), None, pytest.approx(7)),
    ]


@pytest.mark.parametrize("columns, frame", [
    # Below the microsecond: the server rounds the text.
    ("moment timestamp", pd.DataFrame({"moment": pd.to_datetime(["2024-01-01 00:00:00.0000015"])})),
    # An unconstrained numeric keeps every digit of the text.
    ("amount numeric", pd.DataFrame({"amount": [0.1]})),
    # A type the binary format does not write.
    ("payload jsonb", pd.DataFrame({"payload": ['{"a": 1}']})),
    # Text into a number column: the server parses it.
    ("amount numeric(12,2)", pd.DataFrame({"amount": pd.array(["12.5"], dtype=TEXT)})),
])
def test_what_binary_cannot_write_exactly_goes_as_csv(conn, columns, frame):
    table = create(conn, "target", columns)
    assert not binary_used(conn, table, frame)
    assert copy_frame(conn, table, frame) == 1
    (stored,) = conn.execute("SELECT * FROM target").fetchone()
    assert str(stored) in {"2024-01-01 00:00:00.000002", "0.1", "{'a': 1}", "12.50"}


@pytest.mark.parametrize("columns, frame", [
    ("small smallint", pd.DataFrame({"small": [40000]})),
    ("amount numeric(7,4)", pd.DataFrame({"amount": [1000.0]})),
    ("amount numeric(12,2)", pd.DataFrame({"amount": [np.inf]})),
])
def test_a_value_the_column_cannot_hold_is_refused_by_the_server(conn, columns, frame):
    table = create(conn, "target", columns)
    with pytest.raises(psycopg.errors.NumericValueOutOfRange):
        copy_frame(conn, table, frame)


def test_an_empty_frame_copies_nothing(conn):
    assert copy_frame(conn, create(conn, "target"), every_type().iloc[:0]) == 0
    assert table_rows(conn, "target") == []
