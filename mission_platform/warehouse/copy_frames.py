"""COPY frames in and out of the warehouse: into a table in PostgreSQL's binary format, out of a query as CSV.

Into a table, each batch of rows is encoded while a worker thread sends the
previous one. The binary format spares the server parsing text: at a million
missions its COPY took 1.8 s instead of 3.2 (benchmarks/bench_reporting.py). It
is encoded with numpy and Arrow, column by column, and only where it gives
exactly the values the server would read from CSV; a frame with any other
column (a type it does not encode, a value it cannot write exactly) is sent as
CSV that pyarrow writes. Out of a query, pyarrow parses the whole COPY at once,
typed from the query's result columns. Either way no Python object is made per row.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from psycopg import sql
from psycopg.copy import QueuedLibpqWriter

COPY_BATCH_ROWS = 50_000

# What a result column of these PostgreSQL types (by type OID) is read as; any other type is read as text.
_ARROW_TYPES = {
    16: pa.bool_(),                                     # boolean
    20: pa.int64(), 21: pa.int64(), 23: pa.int64(),     # bigint, smallint, integer
    700: pa.float64(), 701: pa.float64(), 1700: pa.float64(),   # real, double precision, numeric
    1082: pa.date32(),                                  # date
    1114: pa.timestamp("us"),                           # timestamp (without time zone)
}


def _batches(table: pa.Table):
    """The table in batches: the first rows reach the server while the next ones are still being encoded."""
    for start in range(0, table.num_rows, COPY_BATCH_ROWS):
        yield table.slice(start, COPY_BATCH_ROWS)


def _csv_batches(table: pa.Table):
    """The table as CSV (no header; null = empty field, empty text = ``""``), batch by batch."""
    options = pa_csv.WriteOptions(include_header=False)
    for batch in _batches(table):
        buffer = io.BytesIO()  # a new one each time: the COPY writer may still hold the previous batch
        pa_csv.write_csv(batch, buffer, options)
        yield buffer.getbuffer()


# -- PostgreSQL's binary COPY format -------------------------------------------------------
# A header (signature, flags, no extension), then per row the number of fields (int16) and per field its
# length in bytes (int32, -1 for NULL) and its bytes, all big-endian; then -1 (int16).
_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)
_TRAILER = b"\xff\xff"
_TEXT_TYPES = {25, 1043}                         # text, varchar(n) (its length checked by the server)
_INTEGER_TYPES = {21: ">i2", 23: ">i4", 20: ">i8"}  # smallint, integer, bigint
_FLOAT_TYPES = {700: ">f4", 701: ">f8"}          # real, double precision
_BOOL, _DATE, _TIMESTAMP, _NUMERIC = 16, 1082, 1114, 1700
_POSTGRES_EPOCH_DAYS = 10_957                    # 2000-01-01, day 0 of PostgreSQL's dates and timestamps
_POSTGRES_EPOCH_US = _POSTGRES_EPOCH_DAYS * 86_400_000_000
_NUMERIC_GROUPS = 4                              # base-10000 digits before the point: up to 2**53
_NUMERIC_NEGATIVE = 0x4000
_NOTHING = pa.scalar(b"", pa.large_binary())     # what the fields of a row are joined with


@dataclass(frozen=True)
class _Field:
    """How one column is written in binary: ``width`` bytes (0 for text, whose width varies)."""

    name: str
    width: int
    # (pa.Array) -> (n x width uint8 payload, valid); None for text, which Arrow appends as it is.
    encode: Callable[[pa.Array], tuple[np.ndarray, np.ndarray]] | None


def _valid(array: pa.Array) -> np.ndarray:
    return array.is_valid().to_numpy(zero_copy_only=False)


def _big_endian(values: np.ndarray, dtype: str) -> np.ndarray:
    return np.ascontiguousarray(values.astype(dtype)).view(np.uint8).reshape(len(values), -1)


def _integer_field(name: str, oid: int, column: pa.ChunkedArray) -> _Field | None:
    dtype = _INTEGER_TYPES[oid]
    limits = np.iinfo(dtype)
    extremes = pc.min_max(column)
    if extremes["min"].is_valid and (extremes["min"].as_py() < limits.min or extremes["max"].as_py() > limits.max):
        return None   # out of the column's range: the server says so, reading CSV
    return _Field(name, limits.bits // 8, lambda a: (
        _big_endian(a.fill_null(0).to_numpy(zero_copy_only=False), dtype), _valid(a)))


def _float_field(name: str, oid: int) -> _Field:
    dtype = _FLOAT_TYPES[oid]
    return _Field(name, np.dtype(dtype).itemsize, lambda a: (
        _big_endian(a.fill_null(0).to_numpy(zero_copy_only=False), dtype), _valid(a)))


def _timestamp_field(name: str, column: pa.ChunkedArray) -> _Field | None:
    if column.type.unit == "ns":
        if (column.cast(pa.int64()).fill_null(0).to_numpy() % 1000).any():
            return None   # below the microsecond: the server rounds the text as it reads it
    return _Field(name, 8, lambda a: (_big_endian(
        a.cast(pa.timestamp("us"), safe=False).cast(pa.int64()).fill_null(0).to_numpy(zero_copy_only=False)
        - _POSTGRES_EPOCH_US, ">i8"), _valid(a)))


def _date_field(name: str) -> _Field:
    return _Field(name, 4, lambda a: (_big_endian(
        a.cast(pa.int32()).fill_null(0).to_numpy(zero_copy_only=False) - _POSTGRES_EPOCH_DAYS, ">i4"), _valid(a)))


def _bool_field(name: str) -> _Field:
    return _Field(name, 1, lambda a: (
        a.fill_null(False).to_numpy(zero_copy_only=False).astype(np.uint8).reshape(-1, 1), _valid(a)))


def _scaled(values: np.ndarray, scale: int) -> np.ndarray:
    """Each value times 10**scale, rounded half away from zero as the server rounds the shortest decimal
    text of the float (what the CSV carries): 2.675 (in binary 2.67499999...) becomes 268 at scale 2."""
    scaled = np.abs(values) * 10.0 ** scale
    rounded = np.floor(scaled + 0.5)
    # Within float error of a half, the float's decimal text decides, as it does on the server.
    near_half = np.abs(scaled - np.floor(scaled) - 0.5) <= 8e-16 * np.maximum(scaled, 1.0)
    quantum = Decimal(1).scaleb(-scale)
    for i in np.flatnonzero(near_half):
        exact = Decimal(repr(float(abs(values[i])))).quantize(quantum, rounding=ROUND_HALF_UP)
        rounded[i] = float(exact.scaleb(scale))
    return rounded.astype(np.int64) * np.where(values < 0, -1, 1)


def _numeric_field(name: str, typmod: int, column: pa.ChunkedArray) -> _Field | None:
    scale = (typmod - 4) & 0xFFFF if typmod >= 4 else -1
    numbers = pa.types.is_floating(column.type) or pa.types.is_integer(column.type)
    if not (0 <= scale <= 4 and numbers):
        return None   # an unconstrained numeric keeps every digit of the text; other scales are not needed
    values = column.to_numpy().astype(float)
    finite = values[~np.isnan(values)]
    if not np.isfinite(finite).all() or (np.abs(finite) * 10.0 ** scale >= 2.0 ** 53).any():
        return None   # infinity, or past the integers a float holds exactly: the server's error, reading CSV

    def encode(array: pa.Array):
        values = array.to_numpy(zero_copy_only=False).astype(float)
        valid = ~np.isnan(values)
        scaled = _scaled(np.where(valid, values, 0.0), scale)
        magnitude = np.abs(scaled)
        whole, fraction = np.divmod(magnitude, 10 ** scale)
        # Base-10000 digits around the point: _NUMERIC_GROUPS before it, one after; the server strips the zeros.
        digits = [(whole // 10_000 ** k) % 10_000 for k in reversed(range(_NUMERIC_GROUPS))]
        digits.append(fraction * 10 ** (4 - scale))
        header = np.empty((len(values), 4), dtype=np.int64)
        header[:, 0], header[:, 1], header[:, 3] = _NUMERIC_GROUPS + 1, _NUMERIC_GROUPS - 1, scale
        header[:, 2] = np.where(scaled < 0, _NUMERIC_NEGATIVE, 0)
        return _big_endian(np.column_stack([header, *digits]), ">i2"), valid

    return _Field(name, 2 * (4 + _NUMERIC_GROUPS + 1), encode)


def _binary_fields(table: pa.Table, types: dict[str, tuple[int, int]]) -> list[_Field] | None:
    """How each column is written in binary, fixed-width columns first; None when one cannot be written exactly."""
    fields = []
    for name in table.column_names:
        column = table.column(name)
        arrow = column.type
        oid, typmod = types.get(name, (0, -1))
        if oid in _TEXT_TYPES and (pa.types.is_string(arrow) or pa.types.is_large_string(arrow)):
            field = _Field(name, 0, None)
        elif oid in _INTEGER_TYPES and pa.types.is_integer(arrow):
            field = _integer_field(name, oid, column)
        elif oid in _FLOAT_TYPES and pa.types.is_floating(arrow):
            field = _float_field(name, oid)
        elif oid == _BOOL and pa.types.is_boolean(arrow):
            field = _bool_field(name)
        elif oid == _DATE and pa.types.is_date32(arrow):
            field = _date_field(name)
        elif oid == _TIMESTAMP and pa.types.is_timestamp(arrow) and arrow.tz is None:
            field = _timestamp_field(name, column)
        elif oid == _NUMERIC:
            field = _numeric_field(name, typmod, column)
        else:
            field = None
        if field is None:
            return None
        fields.append(field)
    return sorted(fields, key=lambda f: f.width == 0)   # stable: the text columns last, in their order


def _binary_rows(batch: pa.Table, fields: list[_Field]) -> memoryview:
    """The batch's rows in the binary format (no header or trailer).

    The fixed-width fields are laid out in one byte matrix, a row per row, a NULL's
    bytes masked out; the text fields are appended to each row by Arrow.
    """
    rows = batch.num_rows
    fixed = [f for f in fields if f.width]
    matrix = np.empty((rows, 2 + sum(4 + f.width for f in fixed)), dtype=np.uint8)
    matrix[:, :2] = _big_endian(np.full(rows, len(fields)), ">i2")
    keep = None
    at = 2
    for field in fixed:
        payload, valid = field.encode(batch.column(field.name).combine_chunks())
        matrix[:, at:at + 4] = _big_endian(np.where(valid, field.width, -1), ">i4")
        matrix[:, at + 4:at + 4 + field.width] = payload
        if not valid.all():
            keep = np.ones(matrix.shape, dtype=bool) if keep is None else keep
            keep[:, at + 4:at + 4 + field.width] = valid[:, None]
        at += 4 + field.width
    data = matrix.reshape(-1) if keep is None else matrix[keep]
    lengths = matrix.shape[1] if keep is None else keep.sum(axis=1)
    offsets = np.zeros(rows + 1, dtype=np.int64)
    np.cumsum(np.broadcast_to(lengths, (rows,)), out=offsets[1:])
    parts = [pa.Array.from_buffers(pa.large_binary(), rows, [None, pa.py_buffer(offsets), pa.py_buffer(data)])]
    for field in (f for f in fields if not f.width):
        text = batch.column(field.name).combine_chunks().cast(pa.large_binary())
        sizes = pc.binary_length(text).fill_null(-1).to_numpy(zero_copy_only=False)
        prefix = pa.FixedSizeBinaryArray.from_buffers(
            pa.binary(4), rows, [None, pa.py_buffer(_big_endian(sizes, ">i4"))]).cast(pa.large_binary())
        parts.append(pc.binary_join_element_wise(prefix, text, _NOTHING, null_handling="replace", null_replacement=b""))
    joined = parts[0] if len(parts) == 1 else pc.binary_join_element_wise(*parts, _NOTHING)
    ends = np.frombuffer(joined.buffers()[1], dtype=np.int64, count=rows + 1, offset=joined.offset * 8)
    return memoryview(joined.buffers()[2])[ends[0]:ends[-1]]


def _column_types(conn: psycopg.Connection, table: sql.Composable) -> dict[str, tuple[int, int]]:
    rows = conn.execute(
        "SELECT attname, atttypid::int, atttypmod FROM pg_attribute"
        " WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped", (table.as_string(conn),)).fetchall()
    return {name: (oid, typmod) for name, oid, typmod in rows}


def copy_frame(conn: psycopg.Connection, table: sql.Composable, frame: pd.DataFrame, *, freeze: bool = False) -> int:
    """COPY ``frame`` (its columns, by name) into ``table``; return the number of rows the server took.

    Binary when every column can be written so (see the module), else CSV. A
    worker thread sends each batch while the next is encoded (the server reads
    on one core while numpy and Arrow encode on the other). ``freeze``: the
    table was created in this transaction, so its rows can be written frozen,
    which spares the first readers from rewriting every page to set hint bits.
    """
    data = pa.Table.from_pandas(frame, preserve_index=False)   # the frames' text is Arrow already: no copy
    fields = _binary_fields(data, _column_types(conn, table)) if data.num_rows else None
    names = [f.name for f in fields] if fields else data.column_names
    options = [sql.SQL("FORMAT binary" if fields else "FORMAT csv")] + ([sql.SQL("FREEZE")] if freeze else [])
    statement = sql.SQL("COPY {} ({}) FROM STDIN ({})").format(
        table, sql.SQL(", ").join(sql.Identifier(c) for c in names), sql.SQL(", ").join(options))
    with conn.cursor() as cur:
        with cur.copy(statement, writer=QueuedLibpqWriter(cur)) as copy:
            if fields:
                copy.write(_HEADER)
                for batch in _batches(data):
                    copy.write(_binary_rows(batch, fields))
                copy.write(_TRAILER)
            else:
                for chunk in _csv_batches(data):
                    copy.write(chunk)
        return cur.rowcount


def read_frame(conn: psycopg.Connection, select: str | sql.Composable,
               params: tuple | dict | None = None) -> pd.DataFrame:
    """The rows of ``select`` as a frame, through ``COPY (select) TO STDOUT``.

    Columns are typed from the result's PostgreSQL types: numbers as int64 or
    float64 (numeric too), booleans, dates as ``datetime.date``, timestamps as
    datetime64; anything else as Arrow-backed text (no Python object per cell).
    NULL is NA, an empty text stays ``""``.
    A million rows take a fraction of a second, where fetching them as Python
    tuples took seconds.
    """
    query = sql.SQL(select) if isinstance(select, str) else select
    with conn.cursor() as cur:
        cur.execute(sql.SQL("SELECT * FROM ({}) AS result LIMIT 0").format(query), params)
        schema = pa.schema([(c.name, _ARROW_TYPES.get(c.type_code, pa.string())) for c in cur.description])
        data = io.BytesIO()
        with cur.copy(sql.SQL("COPY ({}) TO STDOUT (FORMAT csv)").format(query), params) as copy:
            for chunk in copy:
                data.write(chunk)
    if not data.tell():
        return schema.empty_table().to_pandas()
    data.seek(0)
    table = pa_csv.read_csv(
        data,
        read_options=pa_csv.ReadOptions(column_names=schema.names),
        convert_options=pa_csv.ConvertOptions(
            column_types=schema, true_values=["t"], false_values=["f"],
            # PostgreSQL writes NULL as an empty field and an empty text as "".
            strings_can_be_null=True, quoted_strings_can_be_null=False,
        ),
    )
    return table.to_pandas(types_mapper={pa.string(): pd.StringDtype("pyarrow")}.get)
