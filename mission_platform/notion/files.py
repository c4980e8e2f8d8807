"""Finding the three databases of an export and reading each into a frame of strings.

An export folder holds either the three CSV files or the single zip Notion
produces (CSVs possibly in subfolders). Files are UTF-8 (with or without a
BOM, comma-delimited) or cp1252 with ``;`` when a French Excel re-saved them:
both are detected, never asked for.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from typing import Iterable, Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pcsv

from mission_platform.columns import DATABASES, TEXT, Property

SOURCE_TITLES = {source: database.title for source, database in DATABASES.items()}

# Database titles once folded (Hôtels -> hotels) are the source names.
_TITLES = frozenset(SOURCE_TITLES)
_LEGACY = {"00_missions.csv": "missions", "01_hotel.csv": "hotels", "02_extras.csv": "extras"}
_NOTION_NAME = re.compile(r"^(?P<title>.+?)\s+(?P<id>[0-9a-f]{32})(?P<all>_all)?\.csv$")

# Preference when several files hold one database: `_all` (every property), plain, legacy.
_RANK_ALL, _RANK_PLAIN, _RANK_LEGACY = 0, 1, 2


class ExportError(ValueError):
    """An export cannot be read; the message names the export, the file and what is wrong."""


# What an export may hold (docs/NOTION_EXPORTS.md, "Limits"). A real export of a million missions is a
# 341 MB file with cells of at most a few hundred characters.
MAX_EXPORT_BYTES = 1 << 30       # the databases of one zip, once inflated: refused before inflating
MAX_LINE_BYTES = 64 << 20        # one record: longer is a broken file, not a record
MAX_CELL_CHARS = 100_000         # one cell: a longer one sets its row aside, cut to this length
CUT_MARK = " […]"


def export_error(export_id: str | None, file: str | None, problem: str) -> ExportError:
    where = [f"export {export_id}" if export_id else "export", f"file {file!r}" if file else None]
    return ExportError(", ".join(w for w in where if w) + f": {problem}")


def fold(text: str) -> str:
    """Case-, accent- and spacing-insensitive form of a name or header."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.casefold().split())


def _classify(name: str) -> tuple[str, int] | None:
    """(source, rank) of a file name that holds a database, None for any other file."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    if base.startswith(".") or "__MACOSX/" in name:
        return None
    folded = fold(base)
    if folded in _LEGACY:
        return _LEGACY[folded], _RANK_LEGACY
    match = _NOTION_NAME.match(folded)
    if match and match["title"] in _TITLES:
        return match["title"], _RANK_ALL if match["all"] else _RANK_PLAIN
    return None


def find_database_files(names: Iterable[str], *, export_id: str | None = None) -> dict[str, str]:
    """Source (``missions``, ``hotels``, ``extras``) -> the CSV file holding it, among ``names``.

    Names may be paths (zip members in subfolders). Recognised: Notion's
    ``<Title> <32 hex>.csv`` and ``<Title> <32 hex>_all.csv`` (``_all`` is
    preferred: it holds every property), titles Missions, Hôtels/Hotels and
    Extras matched case- and accent-insensitively, and the legacy
    ``00_missions.csv``, ``01_hotel.csv``, ``02_extras.csv``. Other files are
    ignored; a source without a file is absent from the result. Two equally
    good candidates for one source raise :class:`ExportError`.
    """
    best: dict[str, tuple[int, list[str]]] = {}
    for name in names:
        found = _classify(name)
        if found is None:
            continue
        source, rank = found
        current_rank, current = best.get(source, (rank, []))
        if rank < current_rank:
            best[source] = (rank, [name])
        elif rank == current_rank:
            best[source] = (rank, [*current, name])
    chosen = {}
    for source, (_, candidates) in best.items():
        if len(candidates) > 1:
            raise export_error(
                export_id, None,
                f"several files hold the {SOURCE_TITLES[source]} database: {sorted(candidates)}; keep one",
            )
        chosen[source] = candidates[0]
    return chosen


def member_name(info: zipfile.ZipInfo) -> str:
    """A member's name; zips written without the UTF-8 flag store UTF-8 names that zipfile reads as cp437."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("utf-8")
    except UnicodeError:
        return info.filename


def _zip_members(data: bytes, export_id: str, zip_name: str) -> dict[str, bytes]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = {member_name(info): info for info in archive.infolist() if not info.is_dir()}
            chosen = find_database_files(infos, export_id=export_id)
            # The sizes the zip declares bound what reading inflates (zipfile stops there), so a bomb is
            # refused here, before a byte of it is inflated.
            inflated = sum(infos[name].file_size for name in chosen.values())
            if inflated > MAX_EXPORT_BYTES:
                raise export_error(export_id, zip_name, f"the databases would inflate to {inflated:,} bytes, over the "
                                   f"limit of {MAX_EXPORT_BYTES:,}: refused before inflating")
            return {name: archive.read(infos[name]) for name in chosen.values()}
    except (zipfile.BadZipFile, zipfile.LargeZipFile, RuntimeError, NotImplementedError, EOFError) as exc:
        raise export_error(export_id, zip_name, f"unreadable zip ({exc})") from exc


@dataclass(frozen=True)
class DatabaseFile:
    name: str    # as shown to people: the CSV's name, or '<zip>/<member>'
    data: bytes


def database_files(files: Mapping[str, bytes], export_id: str) -> dict[str, DatabaseFile]:
    """The three databases of an export folder (``name -> bytes``), from CSVs or from the zip.

    CSVs take precedence; the zip is opened only when the folder holds no
    database CSV. Raises :class:`ExportError` when a database is missing.
    """
    chosen = find_database_files(files, export_id=export_id)
    found = {source: DatabaseFile(name, files[name]) for source, name in chosen.items()}
    zips = sorted(name for name in files if name.lower().endswith(".zip"))
    if not found and len(zips) > 1:
        raise export_error(export_id, None, f"several zips and no CSV: {zips}; keep one")
    if not found and zips:
        members = _zip_members(files[zips[0]], export_id, zips[0])
        found = {source: DatabaseFile(f"{zips[0]}/{name}", members[name])
                 for source, name in find_database_files(members, export_id=export_id).items()}
        where = f"the zip {zips[0]!r}"
    else:
        where = "the folder"
    missing = [SOURCE_TITLES[s] for s in SOURCE_TITLES if s not in found]
    if missing:
        raise export_error(
            export_id, None,
            f"{where} lacks the {', '.join(missing)} database(s) (files seen: {sorted(files)})",
        )
    return {source: found[source] for source in SOURCE_TITLES}


def _is_utf8(data: bytes) -> bool:
    # Arrow validates the bytes in place, without decoding them into a str as large as the file.
    offsets = pa.py_buffer(np.array([0, len(data)], dtype=np.int64))
    try:
        pa.LargeStringArray.from_buffers(1, offsets, pa.py_buffer(data)).validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


# Bytes cp1252 leaves undefined.
_CP1252_HOLES = (0x81, 0x8D, 0x8F, 0x90, 0x9D)


def text_encoding(data: bytes, export_id: str, file: str) -> str:
    """UTF-8 (a BOM is skipped with the header line) when the bytes are valid UTF-8, else cp1252 (French Excel)."""
    if _is_utf8(data):
        return "utf8"
    if data.startswith(codecs.BOM_UTF8):
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise export_error(export_id, file, f"undecodable bytes: a UTF-8 BOM, but invalid UTF-8 at byte {exc.start}") from exc
    holes = [offset for offset in (data.find(bytes([byte])) for byte in _CP1252_HOLES) if offset >= 0]
    if holes:
        raise export_error(export_id, file, f"undecodable bytes: neither UTF-8 nor cp1252 (byte {min(holes)})")
    return "cp1252"


def _first_line(data: bytes) -> bytes:
    end = data.find(b"\n")
    return data[: end if end >= 0 else len(data)]


def _delimiter(data: bytes) -> str:
    header = _first_line(data)
    return ";" if header.count(b";") > header.count(b",") else ","


@dataclass(frozen=True)
class Table:
    """One database file read as strings: the known columns under their keys, the others under their header."""

    known: pd.DataFrame
    unknown: pd.DataFrame
    too_long: pd.Series          # per record: why a cell was cut ('cell too long in <header>: N characters'), or NA
    nul_removed: int = 0         # NUL characters removed at the door (PostgreSQL refuses them in text)


def _header(data: bytes, encoding: str, delimiter: str) -> list[str]:
    line = _first_line(data).decode(encoding).removeprefix("\ufeff").rstrip("\r")
    return next(csv.reader([line], delimiter=delimiter), [])


_BLANK = re.compile(rb"(?:\xef\xbb\xbf)?\s*")


def _read_cells(data: bytes, encoding: str, delimiter: str, width: int, *, export_id: str, file: str) -> pd.DataFrame:
    """The records after the header line, every cell a string (empty -> NA), columns numbered."""
    names = [str(i) for i in range(width)]
    if _BLANK.fullmatch(data, len(_first_line(data))):   # a header and no record
        return pd.DataFrame({name: pd.Series(dtype=TEXT) for name in names}, index=pd.RangeIndex(1, 1))
    invalid = []

    def on_invalid(row):   # keep the shape of the first bad record, never its content (personal data)
        invalid.append(row)
        return "error"

    try:
        table = pcsv.read_csv(
            pa.BufferReader(data),
            # A block must hold any whole record: pyarrow refuses a record that straddles two blocks.
            read_options=pcsv.ReadOptions(encoding=encoding, skip_rows=1, column_names=names,
                                          block_size=MAX_LINE_BYTES),
            parse_options=pcsv.ParseOptions(delimiter=delimiter, newlines_in_values=True, invalid_row_handler=on_invalid),
            convert_options=pcsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()), null_values=[""], strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )
    except pa.ArrowInvalid as exc:
        if invalid:
            row = invalid[0]
            line = f" at line {row.number}" if row.number is not None else ""
            raise export_error(
                export_id, file,
                f"malformed CSV: a record{line} has {row.actual_columns} fields, the header {row.expected_columns}",
            ) from None
        if "straddl" in str(exc):
            raise export_error(export_id, file, f"a record at or after line {_first_long_line(data)} is longer than "
                               f"{MAX_LINE_BYTES:,} bytes (the limit of one record)") from None
        raise export_error(export_id, file, f"malformed CSV ({str(exc).split(':', 1)[0]})") from None
    frame = table.to_pandas(types_mapper={pa.string(): TEXT}.get)
    frame.index = pd.RangeIndex(1, len(frame) + 1)   # row_number: 1-based, header not counted
    return frame


def _first_long_line(data: bytes) -> int:
    """The 1-based number of the first physical line longer than a record may be (header included)."""
    ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == ord("\n"))
    lengths = np.diff(np.concatenate([[-1], ends, [len(data)]]))
    return int(np.argmax(lengths > MAX_LINE_BYTES)) + 1


def _cut_long_cells(cells: pd.DataFrame, headers: list[str]) -> tuple[pd.DataFrame, pd.Series]:
    """Cells over MAX_CELL_CHARS cut to it (marked), and per record the first column that had one."""
    too_long = pd.Series(pd.NA, index=cells.index, dtype="string")
    for position, column in enumerate(cells.columns):
        lengths = cells[column].str.len()
        long = (lengths > MAX_CELL_CHARS).fillna(False).to_numpy(dtype=bool)
        if long.any():
            reason = (f"cell too long in {headers[position].strip() or 'an unnamed column'}: "
                      + lengths[long].astype("int64").astype(str) + " characters")
            too_long[long] = too_long[long].fillna(reason)
            cells.loc[long, column] = cells.loc[long, column].str.slice(0, MAX_CELL_CHARS) + CUT_MARK
    return cells, too_long


def _distinct_names(headers: list[str]) -> list[str]:
    """Unknown columns' headers, made distinct (a frame's columns must be): 'x', 'x (2)'; '' -> 'unnamed'."""
    names: list[str] = []
    for header in headers:
        base = header.strip() or "unnamed"
        name, copy = base, 1
        while name in names:
            copy += 1
            name = f"{base} ({copy})"
        names.append(name)
    return names


def read_table(data: bytes, properties: Iterable[Property], *, export_id: str, file: str) -> Table:
    """Read one database file; every cell a string as written, an empty cell NA, the header mapped to ``properties``.

    Headers match case-, accent- and spacing-insensitively ('tarif horaire '
    with its trailing space, or a re-typed 'Hotel'). An optional property the
    file lacks (an older export) is read as empty cells. At the door, NUL
    characters are removed (PostgreSQL refuses them; counted in
    ``nul_removed``) and a cell over ``MAX_CELL_CHARS`` is cut, its record
    marked in ``too_long`` to be set aside. Raises :class:`ExportError` for an
    empty file, undecodable bytes, a malformed CSV, a record over
    ``MAX_LINE_BYTES`` or a missing required column.
    """
    nul_removed = data.count(b"\x00")
    if nul_removed:   # in UTF-8 and cp1252 alike, a zero byte is the NUL character and nothing else
        data = data.replace(b"\x00", b"")
    if _BLANK.fullmatch(data):
        raise export_error(export_id, file, "empty file (no header)")
    encoding = text_encoding(data, export_id, file)
    delimiter = _delimiter(data)
    headers = _header(data, encoding, delimiter)
    read_as = f"read as {'UTF-8' if encoding == 'utf8' else encoding}, {delimiter!r}-delimited"
    folded = [fold(header) for header in headers]
    positions: dict[int, str] = {}
    absent: list[str] = []
    for prop in properties:
        target = fold(prop.header)
        hits = [i for i, f in enumerate(folded) if f == target or (prop.prefix and f.startswith(target + " "))]
        if not hits and prop.required:
            raise export_error(export_id, file, f"missing required column {prop.label!r} ({read_as})")
        if len(hits) > 1:
            raise export_error(export_id, file, f"{len(hits)} columns match {prop.label!r} ({read_as})")
        if hits:
            positions[hits[0]] = prop.key
        else:
            absent.append(prop.key)
    cells, too_long = _cut_long_cells(
        _read_cells(data, encoding, delimiter, len(headers), export_id=export_id, file=file), headers)
    known = cells[[str(i) for i in positions]].set_axis(list(positions.values()), axis=1)
    for key in absent:
        known[key] = pd.Series(pd.NA, index=known.index, dtype=TEXT)
    others = [i for i in range(len(headers)) if i not in positions]
    unknown = cells[[str(i) for i in others]].set_axis(_distinct_names([headers[i] for i in others]), axis=1)
    return Table(known=known, unknown=unknown, too_long=too_long, nul_removed=nul_removed)
