"""One generated Notion export: three CSV files (or Notion's zip) in memory, and writing it to the lake."""

from __future__ import annotations

import datetime as dt
import io
import uuid
import zipfile
from dataclasses import dataclass

import numpy as np
import pandas as pd
from faker import Faker

from mission_platform.columns import EXTRAS, HOTELS, MISSIONS
from mission_platform.lake_layout import export_prefix
from mission_platform.resources import LakeResource
from mission_platform.sample_data import notion_format as nf
from mission_platform.sample_data.demand import Calendar
from mission_platform.sample_data.directory import (
    EXTRA_HEADER, GHOST_HOTELS, HOTEL_HEADER, build_extras, build_hotels, render_extras, render_hotels,
)
from mission_platform.sample_data.mess import BAD, HARMLESS, MARK_COLUMNS, add_mess
from mission_platform.sample_data.missions import HEADER as MISSION_HEADER
from mission_platform.sample_data.missions import MissionVocabulary, extra_activity, mission_rows, simulate_missions

# Folder inside Notion's zip that holds the CSV files.
ZIP_FOLDER = "Private & Shared"
# Independent random streams, so that changing one part of the generator leaves the others' draws alone.
STREAMS = ("ids", "hotels", "extras", "missions", "mess")


@dataclass(frozen=True)
class GeneratedExport:
    """A generated export, in memory.

    ``injected`` lists the bad records the mess put in (the reader must set exactly these
    aside); ``messy`` the records with harmless mess (they must still parse).
    Both have the columns source, row_number (1-based record position in its file), id, kind.
    """

    export_id: str
    files: dict[str, bytes]
    injected: pd.DataFrame
    messy: pd.DataFrame
    missions: int   # records written per file (copies included)
    hotels: int
    extras: int

    @property
    def counts(self) -> dict[str, int]:
        return {"missions": self.missions, "hotels": self.hotels, "extras": self.extras}


def build_export(
    export_date: dt.date,
    *,
    weeks: int = 104,
    missions_per_week: float = 110,
    hotels: int = 100,
    extras: int = 300,
    seed: int = 0,
    mess: float = 0.02,
    as_zip: bool = False,
) -> GeneratedExport:
    """Generate a Notion export taken on ``export_date`` (pure: same arguments, same bytes).

    ``weeks`` of history before the export date plus the missions already booked
    for the next five weeks; ``mess`` is the share of records of each file that get
    mess (0 = none). ``as_zip`` packs the files as Notion does (``Export-<uuid>.zip``).
    """
    _check(weeks=weeks, missions_per_week=missions_per_week, hotels=hotels, extras=extras, mess=mess)
    rng = dict(zip(STREAMS, (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(len(STREAMS)))))
    fake = Faker("fr_FR")
    fake.seed_instance(seed)
    calendar = Calendar.for_export(export_date, weeks)

    hotel_frame, ghosts = build_hotels(rng["hotels"], fake, hotels, calendar)
    extra_frame = build_extras(rng["extras"], fake, extras, calendar)
    mission_frame, invoice_numbers = simulate_missions(rng["missions"], calendar, hotel_frame, extra_frame,
                                                       missions_per_week)
    missions_out = add_mess(rng["mess"], mission_frame, "missions", mess,
                            deleted_hotels=range(hotels, hotels + GHOST_HOTELS))
    extra_frame["missions_count"], extra_frame["status"] = extra_activity(extra_frame, missions_out.frame,
                                                                          calendar.export_day)
    hotels_out = add_mess(rng["mess"], hotel_frame, "hotels", mess)
    extras_out = add_mess(rng["mess"], extra_frame, "extras", mess)

    vocabulary = MissionVocabulary.build(
        calendar, hotel_frame, ghosts, extra_frame, invoice_numbers,
        max_half_euros=int(mission_frame[["rate", "urgent_rate"]].to_numpy().max(initial=0)),
        created=mission_frame["created"].to_numpy(),
    )
    database_ids = nf.hex_ids(rng["ids"], 3)
    csv_files = {
        f"{MISSIONS.title} {database_ids[0]}_all.csv": nf.csv_bytes(MISSION_HEADER, mission_rows(missions_out.frame, vocabulary)),
        f"{HOTELS.title} {database_ids[1]}_all.csv": nf.csv_bytes(HOTEL_HEADER, [render_hotels(hotels_out.frame)]),
        f"{EXTRAS.title} {database_ids[2]}_all.csv": nf.csv_bytes(EXTRA_HEADER, [render_extras(extras_out.frame, calendar)]),
    }
    marks = pd.concat([missions_out.marks, hotels_out.marks, extras_out.marks], ignore_index=True)
    files = _zipped(csv_files, rng["ids"], export_date) if as_zip else csv_files
    return GeneratedExport(
        export_id=export_date.isoformat(),
        files=files,
        injected=marks[marks["kind"].isin(BAD)].reset_index(drop=True)[MARK_COLUMNS],
        messy=marks[marks["kind"].isin(HARMLESS)].reset_index(drop=True)[MARK_COLUMNS],
        missions=len(missions_out.frame),
        hotels=len(hotels_out.frame),
        extras=len(extras_out.frame),
    )


def _check(*, weeks: int, missions_per_week: float, hotels: int, extras: int, mess: float) -> None:
    problems = []
    if weeks < 1:
        problems.append(f"weeks must be at least 1, got {weeks}")
    if not missions_per_week >= 0:
        problems.append(f"missions_per_week must be 0 or more, got {missions_per_week}")
    if hotels < 1:
        problems.append(f"hotels must be at least 1, got {hotels}")
    if extras < 1:
        problems.append(f"extras must be at least 1, got {extras}")
    if not 0 <= mess <= 0.5:
        problems.append(f"mess must be a share between 0 and 0.5, got {mess}")
    if problems:
        raise ValueError("; ".join(problems))


def _zipped(files: dict[str, bytes], rng: np.random.Generator, export_date: dt.date) -> dict[str, bytes]:
    """Notion's zip: ``Export-<uuid>.zip`` with the CSV files in a folder; fixed timestamps keep it deterministic."""
    export_uuid = uuid.UUID(bytes=rng.bytes(16), version=4)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            info = zipfile.ZipInfo(f"{ZIP_FOLDER}/{name}", date_time=(export_date.year, export_date.month,
                                                                      export_date.day, 12, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return {f"Export-{export_uuid}.zip": buffer.getvalue()}


def write_export(lake: LakeResource, generated: GeneratedExport) -> list[str]:
    """Write the export's files under ``raw/notion/<export_id>/`` in ``lake``; return their keys."""
    keys = []
    for name, data in generated.files.items():
        key = f"{export_prefix(generated.export_id)}/{name}"
        lake.write_bytes(key, data)
        keys.append(key)
    return keys
