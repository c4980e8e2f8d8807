"""The example export (fixtures/example_export) as the anonymised frames the warehouse stage receives.

Built by hand from the example's README, so the warehouse tests do not depend on
the parser or the anonymiser: the 13 mission records, 5 hotels and 2 extras,
with the raw stage's verdicts (3 missions set aside), times as UTC instants and
names as pseudonyms.
"""

from __future__ import annotations

import pandas as pd

from mission_platform.columns import ANONYMISED, conform
from mission_platform.settings import Tariffs
from mission_platform.warehouse.transform import CoreTables, build_core_tables, build_rejected_rows

EXPORT_ID = "2024-04-08"
LATER_EXPORT = "2024-04-15T0930"

_MISSION_FIELDS = ("mission_id", "hotel_id", "extra_id", "start", "end", "statuses", "cancelled_by",
                   "overtime_text", "overtime_hours", "overtime_unparsed", "hourly_rate", "urgent_rate",
                   "invoice", "payment_status", "reject_reason")
_MISSIONS = [
    ("MIS-1001", "HOT-1", "EXT-1", "2024-03-04 06:00", "2024-03-04 14:00", "confirmée, facturée", None, None, 0.0, False, 28.0, 34.0, "F2024-0101", "payé", None),
    ("MIS-1002", "HOT-2", "EXT-2", "2024-03-04 22:00", "2024-03-05 06:00", "urgente", None, "1h30 supp", 1.5, False, 27.5, 33.0, "F2024-0102", "en attente", None),
    ("MIS-1003", "HOT-3", "EXT-1", "2024-03-05 14:00", "2024-03-05 22:00", "annulé hôtel", "hotel", None, 0.0, False, 30.0, 36.0, None, None, None),
    ("MIS-1004", "HOT-1", "EXT-2", "2024-03-06 06:00", "2024-03-06 14:00", "annulé extra", "extra", None, 0.0, False, 28.0, 34.0, None, None, None),
    ("MIS-1005", "HOT-1", "EXT-1", "2024-03-30 22:00", "2024-03-31 05:00", None, None, "30 minutes heures supp", 0.5, False, 28.0, 34.0, "F2024-0140", "en retard", None),
    ("MIS-1006", "HOT-2", None, "2024-04-12 05:00", "2024-04-12 13:00", "urgente", None, None, 0.0, False, 27.5, 33.0, None, None, None),
    ("MIS-1007", None, "EXT-2", "2024-04-13 13:00", "2024-04-13 21:00", None, None, None, 0.0, False, 28.0, 34.0, None, None, "missing hotel"),
    ("MIS-1008", "HOT-1", "EXT-1", "2024-03-07 06:00", "2024-03-07 14:00", None, None, "resté pour aider", 0.0, True, 28.0, 34.0, "F2024-0103", "payé", None),
    ("MIS-1009", "HOT-1", "EXT-2", "2024-03-11 06:00", "2024-03-11 14:00", None, None, None, 0.0, False, 28.0, 34.0, None, None, None),
    ("MIS-1010", "HOT-2", "EXT-1", "2024-10-26 21:00", "2024-10-27 06:00", None, None, None, 0.0, False, 27.5, 33.0, None, None, None),
    ("MIS-1001", "HOT-1", "EXT-1", "2024-03-04 06:00", "2024-03-04 14:00", "confirmée, facturée", None, None, 0.0, False, 28.0, 34.0, "F2024-0101", "payé", "duplicate of record 1"),
    ("MIS-1012", None, "EXT-1", "2024-03-08 06:00", "2024-03-08 14:00", None, None, None, 0.0, False, 29.0, 35.0, None, None, "ambiguous hotel: Hôtel du Parc"),
    ("MIS-1013", "HOT-3", "EXT-2", "2024-03-09 06:00", "2024-03-09 14:00", "annulé extra", "extra", "1h supp", 1.0, False, 30.0, 36.0, None, None, None),
]

_HOTEL_FIELDS = ("hotel_id", "name", "address", "zipcode", "city", "software", "rooms", "hourly_rate",
                 "procedures_status", "status", "last_contact", "created_at")
_HOTELS = [
    ("HOT-1", "Hôtel 3f9a1c", "Adresse 8d2e41", "75006", "Paris", "Opera", 48, 28.0, "à jour", "client", "2024-03-03", "2022-01-12 14:30"),
    ("HOT-2", "Hôtel 0b7c55", "Adresse 19fa02", "75006", "Paris", "Mews", None, 27.5, "à faire", "client", "2024-02-15", "2022-09-02 09:05"),
    ("HOT-3", "Hôtel c41d90", "Adresse 77ab3c", "06000", "Nice", "Medialog", 31, 30.0, None, "prospect", None, "2023-08-28 17:45"),
    ("HOT-4", "Hôtel 5e62f8", "Adresse 0c9d1e", "69001", "Lyon", "Opera", 60, 29.0, "à jour", "client", None, "2023-04-04 11:00"),
    ("HOT-5", "Hôtel a81b07", "Adresse 6f3e9b", "06000", "Nice", "Protel", 22, 29.0, None, "client", None, "2023-05-09 16:20"),
]

_EXTRA_FIELDS = ("extra_id", "name", "software", "status", "holiday_start", "holiday_end", "availability_slots",
                 "availability_days", "created_at", "missions_count")
_EXTRAS = [
    ("EXT-1", "Extra 2c8e4a", "Opera, Medialog", "disponible", "2024-07-01 00:00", "2024-07-15 00:00", "matin, soir", "semaine, week-end", "2022-03-05 10:12", 6),
    ("EXT-2", "Extra 9d01b3", "Mews, Opera, Protel", "en mission", None, None, "nuit", "week-end, jours fériés", "2022-11-19 21:40", 3),
]


def example_missions() -> pd.DataFrame:
    frame = pd.DataFrame(_MISSIONS, columns=list(_MISSION_FIELDS))
    frame.insert(0, "row_number", range(1, len(frame) + 1))
    frame["start"] = pd.to_datetime(frame["start"]).dt.tz_localize("UTC")
    frame["end"] = pd.to_datetime(frame["end"]).dt.tz_localize("UTC")
    frame["urgent"] = frame["statuses"].fillna("").str.contains("urgente")
    frame["date_text"] = "as written"
    frame["created_at"] = pd.NaT   # the example export predates Notion's 'Date de création' column
    return conform(frame, ANONYMISED["missions"])


def example_hotels() -> pd.DataFrame:
    frame = pd.DataFrame(_HOTELS, columns=list(_HOTEL_FIELDS))
    frame.insert(0, "row_number", range(1, len(frame) + 1))
    frame["last_contact"] = pd.to_datetime(frame["last_contact"])
    frame["created_at"] = pd.to_datetime(frame["created_at"])
    frame["notes"] = None  # dropped by anonymisation
    frame["reject_reason"] = None
    return conform(frame, ANONYMISED["hotels"])


def example_extras() -> pd.DataFrame:
    frame = pd.DataFrame(_EXTRAS, columns=list(_EXTRA_FIELDS))
    frame.insert(0, "row_number", range(1, len(frame) + 1))
    for column in ("holiday_start", "holiday_end", "created_at"):
        frame[column] = pd.to_datetime(frame[column])
    frame["reject_reason"] = None
    return conform(frame, ANONYMISED["extras"])


# The README's expected results for the kept missions: local times, hours and amounts
# with OVERTIME_RATE=40, EXTRA_HOURLY_PAY=15, EXTRA_HOURLY_PAY_URGENT=18, VAT_RATE=0.2.
# (mission_id, date_debut, date_fin, duree_mission, heures_supp, annulation, total_ht, total_ttc, extra_salaire, benefice)
EXPECTED_MISSIONS = [
    ("MIS-1001", "2024-03-04 07:00", "2024-03-04 15:00", 8, 0, None, 224, 268.80, 120, 104),
    ("MIS-1002", "2024-03-04 23:00", "2024-03-05 07:00", 8, 1.5, None, 324, 388.80, 171, 153),
    ("MIS-1003", "2024-03-05 15:00", "2024-03-05 23:00", 8, 0, "hotel", 0, 0, 0, 0),
    ("MIS-1004", "2024-03-06 07:00", "2024-03-06 15:00", 8, 0, "extra", 0, 0, 0, 0),
    ("MIS-1005", "2024-03-30 23:00", "2024-03-31 07:00", 7, 0.5, None, 216, 259.20, 114, 102),
    ("MIS-1006", "2024-04-12 07:00", "2024-04-12 15:00", 8, 0, None, 264, 316.80, 144, 120),
    ("MIS-1008", "2024-03-07 07:00", "2024-03-07 15:00", 8, 0, None, 224, 268.80, 120, 104),
    ("MIS-1009", "2024-03-11 07:00", "2024-03-11 15:00", 8, 0, None, 224, 268.80, 120, 104),
    ("MIS-1010", "2024-10-26 23:00", "2024-10-27 07:00", 9, 0, None, 247.50, 297.00, 135, 112.50),
    ("MIS-1013", "2024-03-09 07:00", "2024-03-09 15:00", 8, 1, "extra", 0, 0, 0, 0),
]
EXPECTED_COLUMNS = ("mission_id", "date_debut", "date_fin", "duree_mission", "heures_supp", "annulation",
                    "total_ht", "total_ttc", "extra_salaire", "benefice")


def example_tables(tariffs: Tariffs, export_id: str = EXPORT_ID, missions: pd.DataFrame | None = None) -> CoreTables:
    return build_core_tables(example_missions() if missions is None else missions, example_hotels(),
                             example_extras(), export_id=export_id, tariffs=tariffs)


def example_rejected(export_id: str = EXPORT_ID) -> pd.DataFrame:
    return build_rejected_rows(example_missions(), example_hotels(), example_extras(), export_id=export_id)


def later_tables(tariffs: Tariffs) -> CoreTables:
    """A later export: one mission fewer and a changed rate, so its content differs from the example's."""
    missions = example_missions()
    missions = missions[missions["mission_id"] != "MIS-1009"].copy()
    missions.loc[missions["mission_id"] == "MIS-1001", "hourly_rate"] = 30.0
    return example_tables(tariffs, LATER_EXPORT, missions)
