"""Missions: simulated as integer codes, one array per property, then rendered chunk by chunk.

A mission frame holds one row per record of the missions file, in file order,
with these columns (codes index the vocabularies below; -1 = empty cell):

``number`` (MIS-n), ``day`` (calendar index), ``shift`` (row of ``SHIFTS``),
``hotel`` (relation: hotel row, or ``len(hotels) + i`` for the i-th deleted
hotel), ``title_hotel`` (the hotel named in ``Propriété``), ``extra``,
``flags`` (bit mask of ``STATUSES``), ``overtime`` (``TEXTS``), ``rate`` and
``urgent_rate`` (half euros), ``rate_style``, ``invoice``, ``payment``
(``PAYMENTS``), ``date_style`` (``DateStyle``), ``pad`` (stray spaces) and
``created`` (Notion's created time: minutes after midnight of day 0, Paris wall
clock; the file is in this order).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Iterator

import numpy as np
import pandas as pd

from mission_platform.columns import MISSIONS
from mission_platform.sample_data import notion_format as nf
from mission_platform.sample_data.demand import FUTURE_DAYS, Calendar, daily_demand
from mission_platform.sample_data.directory import SLOTS, SOFTWARE, unique_id_numbers

HEADER = MISSIONS.headers

# Shift kind, start (minutes after midnight, Paris wall clock), share of missions. Every shift lasts 8 h on
# the wall clock (so 7 or 9 h really elapse on the nights the clocks change).
SHIFTS = pd.DataFrame(
    [("jour", 7 * 60, 0.22), ("jour", 8 * 60, 0.10), ("jour", 7 * 60 + 30, 0.05), ("jour", 9 * 60, 0.08),
     ("soir", 15 * 60, 0.15), ("soir", 14 * 60, 0.06), ("soir", 15 * 60 + 30, 0.04),
     ("nuit", 23 * 60, 0.18), ("nuit", 22 * 60, 0.09), ("nuit", 22 * 60 + 30, 0.03)],
    columns=["kind", "start", "share"],
)
SHIFT_MINUTES = 8 * 60
KINDS = ("jour", "soir", "nuit")
# Extras' Disponibilités that suit each kind of shift (bits of directory.SLOTS).
KIND_SLOTS = {"jour": {"matin", "après-midi"}, "soir": {"après-midi", "soir"}, "nuit": {"nuit"}}

STATUSES = ("urgente", "annulé extra", "annulé hôtel", "confirmée", "facturée")
URGENT, CANCELLED_BY_EXTRA, CANCELLED_BY_HOTEL, CONFIRMED, INVOICED = (1 << i for i in range(len(STATUSES)))
PAYMENTS = ("payé", "en attente", "en retard")

OVERTIME_TEXTS = ("30 min supp", "1h supp", "1h30 supp", "2h supp", "2h30 heures supp", "3h supp",
                  "30 minutes heures supp", "1 h supp")
OVERTIME_SHARES = np.array([0.25, 0.3, 0.15, 0.1, 0.05, 0.03, 0.07, 0.05])
# Texte without any duration in it: only the mess writes these (kept, counted as unparsed overtime).
WORDS_WITHOUT_DURATION = ("resté pour aider", "RAS", "a remplacé le veilleur au pied levé", "client très satisfait")
TEXTS = OVERTIME_TEXTS + WORDS_WITHOUT_DURATION

URGENT_SHARE = 0.15
CANCELLED_BY_HOTEL_SHARE = 0.04
CANCELLED_BY_EXTRA_SHARE = 0.03
OVERTIME_SHARE = 0.11
# Booking lead times, in days before the shift starts: urgent missions within 48 hours; the others mostly one to
# three weeks ahead (a gamma of mean 14 days: 70 % between 7 and 21 days); a few entered after they happened
# (a day to a week late, when the office catches up on the phone bookings).
URGENT_LEAD_DAYS = (1 / 24, 2.0)
LEAD_SHAPE, LEAD_SCALE_DAYS = 4.0, 3.5
LATE_ENTRY_SHARE = 0.02
LATE_ENTRY_DAYS = (0.5, 7.0)


class DateStyle(IntEnum):
    """How a date cell is written. The first five are clean renderings; the rest are mess."""

    START_TAG = 0           # 04/03/2024 07:00 (UTC+1) → 15:00
    START_TAG_FULL_END = 1  # 28/02/2023 23:00 (UTC+1) → 01/03/2023 07:00
    BOTH_TAGS = 2           # 30/03/2024 23:00 (UTC+1) → 31/03/2024 07:00 (UTC+2)
    END_TAG = 3             # 04/03/2024 07:00 → 15:00 (UTC+1)
    UTC = 4                 # 11/03/2024 06:00 (UTC) → 14:00 (times converted to UTC)
    NO_TAG = 5              # 04/03/2024 07:00 → 15:00 (Paris time)
    NO_TAG_FULL_END = 6     # 05/03/2024 15:00 → 05/03/2024 23:00
    ENGLISH = 7             # March 6, 2024 7:00 AM (GMT+1) → 3:00 PM
    UNPARSEABLE_1 = 8
    UNPARSEABLE_2 = 9
    UNPARSEABLE_3 = 10


CLEAN_DATE_SHARES = np.array([0.60, 0.10, 0.08, 0.05, 0.17])
UNPARSEABLE_DATES = ("à confirmer", "à définir", "en attente du planning")


def draw_by_day(rng: np.random.Generator, weights: np.ndarray, day: np.ndarray) -> np.ndarray:
    """For each mission, a column of ``weights`` drawn with the probabilities of its day's row.

    Every row must have a positive sum. The rows' cumulative distributions are laid
    end to end (row d spans [d, d + 1]) so one ``searchsorted`` draws all missions.
    """
    cumulative = np.cumsum(weights, axis=1)
    cumulative /= cumulative[:, -1:]
    cumulative[:, -1] = 1.0
    laid_out = (cumulative + np.arange(len(weights))[:, None]).ravel()
    position = np.searchsorted(laid_out, day + rng.random(len(day)), side="right")
    return position - day * weights.shape[1]


def _active(days: np.ndarray, start: np.ndarray, stop: np.ndarray) -> np.ndarray:
    """days x items: whether each item is active on each day (start <= day < stop)."""
    return (days[:, None] >= start[None, :]) & (days[:, None] < stop[None, :])


def hotel_weights(hotels: pd.DataFrame, calendar: Calendar) -> np.ndarray:
    days = np.arange(calendar.n_days)
    active = _active(days, hotels["created_day"].to_numpy(), hotels["lost_day"].to_numpy())
    return active * hotels["weight"].to_numpy()[None, :]


def extra_availability(extras: pd.DataFrame, calendar: Calendar) -> np.ndarray:
    """days x extras: each extra's weight on each day, before the shift and the hotel are known.

    Extras work while active and not on holiday, mostly on the day types they declared.
    """
    days = np.arange(calendar.n_days)
    holiday_start = extras["holiday_start"].to_numpy()
    working = (_active(days, extras["created_day"].to_numpy(), extras["inactive_from"].to_numpy())
               & ~_active(days, holiday_start, holiday_start + extras["holiday_days"].to_numpy()))
    day_type = np.where(calendar.holidays(), 2, np.where(calendar.weekend(), 1, 0))
    suits_day = (extras["day_types"].to_numpy()[None, :] >> day_type[:, None]) & 1
    return working * np.where(suits_day == 1, 1.0, 0.2) * extras["weight"].to_numpy()[None, :]


def extra_affinity(extras: pd.DataFrame, kind: str, software: int) -> np.ndarray:
    """Per extra: how much more likely they take a ``kind`` shift at a hotel running ``software``.

    Mostly the shifts and software they declared, sometimes others.
    """
    slot_bits = sum(1 << SLOTS.index(slot) for slot in KIND_SLOTS[kind])
    suits_shift = (extras["slots"].to_numpy() & slot_bits) > 0
    masters = (extras["software"].to_numpy() >> software) & 1
    return np.where(suits_shift, 1.0, 0.1) * np.where(masters == 1, 1.0, 0.15)


def simulate_missions(rng: np.random.Generator, calendar: Calendar, hotels: pd.DataFrame, extras: pd.DataFrame,
                      missions_per_week: float) -> tuple[pd.DataFrame, np.ndarray]:
    """The missions of the export, in file (creation) order, and the invoice numbers they refer to."""
    e = calendar.export_day
    day = np.repeat(np.arange(calendar.n_days), rng.poisson(daily_demand(calendar, missions_per_week, rng)))
    n = len(day)
    shift = rng.choice(len(SHIFTS), size=n, p=SHIFTS["share"].to_numpy())
    urgent = rng.random(n) < URGENT_SHARE
    # The further a future day, the fewer of its missions are already booked when the export is taken (at noon).
    lead = np.where(urgent, rng.uniform(*URGENT_LEAD_DAYS, size=n), rng.gamma(LEAD_SHAPE, LEAD_SCALE_DAYS, size=n))
    late = ~urgent & (rng.random(n) < LATE_ENTRY_SHARE)
    lead[late] = -rng.uniform(*LATE_ENTRY_DAYS, size=int(late.sum()))
    booked_at = day + SHIFTS["start"].to_numpy()[shift] / 1440.0 - lead
    visible = booked_at <= e + 0.5
    created = created_minutes(calendar, booked_at[visible])
    order = np.argsort(created, kind="stable")
    day, shift, urgent, created = day[visible][order], shift[visible][order], urgent[visible][order], created[order]
    n = len(day)

    hotel = draw_by_day(rng, hotel_weights(hotels, calendar), day)
    u = rng.random(n)
    by_hotel = u < CANCELLED_BY_HOTEL_SHARE
    by_extra = (u >= CANCELLED_BY_HOTEL_SHARE) & (u < CANCELLED_BY_HOTEL_SHARE + CANCELLED_BY_EXTRA_SHARE)
    cancelled = by_hotel | by_extra

    extra = np.empty(n, dtype=np.int64)
    kind = SHIFTS["kind"].to_numpy()[shift]
    software = hotels["software"].to_numpy()[hotel]
    availability = extra_availability(extras, calendar)
    for k in KINDS:
        for s in range(len(SOFTWARE)):
            group = (kind == k) & (software == s)
            if group.any():
                weights = availability * extra_affinity(extras, k, s)[None, :]
                extra[group] = draw_by_day(rng, weights, day[group])
    ahead = np.clip((day - e) / FUTURE_DAYS, 0.0, 1.0)
    unassigned = (day >= e) & ~by_extra & (rng.random(n) < 0.08 + 0.5 * ahead)
    extra[unassigned] = -1

    invoice, payment, invoice_numbers = _invoices(rng, calendar, hotel, len(hotels), day, ~cancelled & (extra >= 0))
    past = day < e
    overtime = np.where(
        past & (rng.random(n) < np.where(cancelled, 0.03, OVERTIME_SHARE)),
        rng.choice(len(OVERTIME_TEXTS), size=n, p=OVERTIME_SHARES / OVERTIME_SHARES.sum()),
        -1,
    )
    flags = (urgent * URGENT + by_extra * CANCELLED_BY_EXTRA + by_hotel * CANCELLED_BY_HOTEL
             + (~cancelled & (extra >= 0)) * CONFIRMED + (invoice >= 0) * INVOICED)
    frame = pd.DataFrame({
        "number": unique_id_numbers(rng, n),
        "day": day.astype(np.int32),
        "shift": shift.astype(np.int8),
        "hotel": hotel.astype(np.int32),
        "title_hotel": hotel.astype(np.int32),
        "extra": extra.astype(np.int32),
        "flags": flags.astype(np.int8),
        "overtime": overtime.astype(np.int8),
        "rate": np.round(hotels["rate"].to_numpy()[hotel] * 2).astype(np.int16),
        "urgent_rate": np.round(hotels["urgent_rate"].to_numpy()[hotel] * 2).astype(np.int16),
        "rate_style": np.zeros(n, dtype=np.int8),
        "invoice": invoice.astype(np.int32),
        "payment": payment.astype(np.int8),
        "date_style": rng.choice(len(CLEAN_DATE_SHARES), size=n, p=CLEAN_DATE_SHARES).astype(np.int8),
        "pad": np.zeros(n, dtype=np.int8),
        "created": created,
    })
    return frame, invoice_numbers


def created_minutes(calendar: Calendar, booked_at: np.ndarray) -> np.ndarray:
    """Notion's created times (minutes after midnight of day 0, Paris wall clock) of booking times in days.

    The hour the clocks skip in spring does not exist on the wall clock: a time in it is read an hour later.
    """
    minutes = np.floor(booked_at * 1440).astype(np.int64)
    day, minute = np.divmod(minutes, 1440)
    days = np.arange(day.min(initial=0), day.max(initial=0) + 1)
    spring = paris_offset_hours(calendar, days, np.full(len(days), 60)) < paris_offset_hours(
        calendar, days, np.full(len(days), 4 * 60))
    skipped = spring[day - days[0]] & (minute >= 2 * 60) & (minute < 3 * 60)
    return minutes + 60 * skipped


def _invoices(rng: np.random.Generator, calendar: Calendar, hotel: np.ndarray, n_hotels: int, day: np.ndarray,
              billable: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One invoice per hotel and month, issued on the 1st of the next month (``F2024-0142``, numbered per year).

    Returns each mission's invoice code (-1 = not invoiced yet), its payment code
    (-1 = none) and the invoice numbers.
    """
    def first_of(month_index: np.ndarray) -> pd.Series:
        return pd.to_datetime(pd.DataFrame({"year": month_index // 12, "month": month_index % 12 + 1, "day": 1}))

    dates = calendar.dates()
    next_month = dates.year.to_numpy() * 12 + dates.month.to_numpy()  # months counted from year 0, January = 0
    export_date = pd.Timestamp(calendar.first_day) + pd.Timedelta(days=calendar.export_day)
    issued_by_export = (first_of(next_month) + pd.Timedelta(days=2) <= export_date).to_numpy()
    invoiced = billable & issued_by_export[day]
    keys, invoice_of = np.unique(next_month[day[invoiced]] * n_hotels + hotel[invoiced], return_inverse=True)
    year = keys // n_hotels // 12
    sequence = np.arange(len(keys)) - np.searchsorted(year, year, side="left") + 1
    numbers = "F" + nf.ints(year) + "-" + nf.zero_padded(sequence, 4)

    age = (export_date - first_of(keys // n_hotels)).dt.days.to_numpy()
    # Probabilities of payé / en attente / en retard by the invoice's age.
    odds = np.where((age < 30)[:, None], [0.1, 0.9, 0.0], np.where((age < 60)[:, None], [0.75, 0.0, 0.25],
                                                                   [0.97, 0.0, 0.03]))
    paid_state = (rng.random(len(keys))[:, None] > np.cumsum(odds, axis=1)[:, :-1]).sum(axis=1)

    invoice = np.full(len(day), -1, dtype=np.int64)
    invoice[invoiced] = invoice_of
    payment = np.where(invoice >= 0, paid_state[np.maximum(invoice, 0)] if len(keys) else -1, -1)
    return invoice, payment, numbers


def extra_activity(extras: pd.DataFrame, missions: pd.DataFrame, export_day: int) -> tuple[np.ndarray, np.ndarray]:
    """Each extra's ``nombre de missions`` (distinct mission IDs pointing to them) and ``statuts`` code."""
    assigned = missions.loc[missions["extra"] >= 0, ["extra", "number"]].drop_duplicates()
    count = np.bincount(assigned["extra"].to_numpy(), minlength=len(extras))
    working_today = missions["extra"][(missions["day"] == export_day) & (missions["flags"] & CONFIRMED > 0)].to_numpy()
    status = np.where(np.isin(np.arange(len(extras)), working_today), 1, 0)
    status = np.where(extras["inactive_from"].to_numpy() <= export_day, 2, status)
    return count, status


# -- rendering --------------------------------------------------------------------------------

def date_vocabulary(calendar: Calendar) -> np.ndarray:
    """Every date cell a mission can have: index ``(day * len(SHIFTS) + shift) * len(DateStyle) + style``.

    Built from per-day and per-minute texts, so it costs a few array operations per style.
    """
    n_shifts = len(SHIFTS)
    day = np.repeat(np.arange(calendar.n_days), n_shifts)
    start_minute = np.tile(SHIFTS["start"].to_numpy(), calendar.n_days)
    end_day = day + (start_minute + SHIFT_MINUTES) // 1440  # wall clock: 23:00 -> 07:00 even when the clocks change
    end_minute = (start_minute + SHIFT_MINUTES) % 1440
    start_offset = paris_offset_hours(calendar, day, start_minute)
    end_offset = paris_offset_hours(calendar, end_day, end_minute)
    # A night across a clock change needs both offsets, which only the both-tags form carries.
    crossing = start_offset != end_offset

    # Texts of days -1 .. n_days (a UTC time may fall on the day before; an end on the day after).
    dates = calendar.dates(np.arange(-1, calendar.n_days + 1))
    french_day, english_day = nf.day_month_year(dates), nf.english_date(dates)
    minutes = pd.Timestamp(0) + pd.to_timedelta(np.arange(1440), unit="min")
    clock, english_clock = nf.hh_mm(minutes), nf.english_time(minutes)

    def utc(on_day: np.ndarray, minute: np.ndarray, offset: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        shifted = minute - 60 * offset
        return french_day[on_day + shifted // 1440 + 1], clock[shifted % 1440]

    sp = " "
    start_text = french_day[day + 1] + sp + clock[start_minute]
    end_date, end_time = french_day[end_day + 1], clock[end_minute]
    start_tag, end_tag = nf.offset_tag(start_offset), nf.offset_tag(end_offset)
    both = start_text + sp + start_tag + nf.ARROW + end_date + sp + end_time + sp + end_tag
    utc_start_day, utc_start_time = utc(day, start_minute, start_offset)
    _, utc_end_time = utc(end_day, end_minute, end_offset)
    english_start = (english_day[day + 1] + sp + english_clock[start_minute] + sp
                     + nf.offset_tag(start_offset, "GMT"))
    english_end = np.where(
        crossing,
        english_day[end_day + 1] + sp + english_clock[end_minute] + sp + nf.offset_tag(end_offset, "GMT"),
        english_clock[end_minute],
    )
    styles = {
        DateStyle.START_TAG: np.where(crossing, both, start_text + sp + start_tag + nf.ARROW + end_time),
        DateStyle.START_TAG_FULL_END: np.where(crossing, both,
                                               start_text + sp + start_tag + nf.ARROW + end_date + sp + end_time),
        DateStyle.BOTH_TAGS: both,
        DateStyle.END_TAG: np.where(crossing, both, start_text + nf.ARROW + end_time + sp + end_tag),
        DateStyle.UTC: utc_start_day + sp + utc_start_time + " (UTC)" + nf.ARROW + utc_end_time,
        DateStyle.NO_TAG: start_text + nf.ARROW + end_time,
        DateStyle.NO_TAG_FULL_END: start_text + nf.ARROW + end_date + sp + end_time,
        DateStyle.ENGLISH: english_start + nf.ARROW + english_end,
        DateStyle.UNPARSEABLE_1: np.full(len(day), UNPARSEABLE_DATES[0], dtype=object),
        DateStyle.UNPARSEABLE_2: np.full(len(day), UNPARSEABLE_DATES[1], dtype=object),
        DateStyle.UNPARSEABLE_3: np.full(len(day), UNPARSEABLE_DATES[2], dtype=object),
    }
    return np.stack([styles[style].astype(object) for style in DateStyle], axis=1).ravel()


def paris_offset_hours(calendar: Calendar, day: np.ndarray, minute: np.ndarray) -> np.ndarray:
    """The UTC offset of Paris at these wall-clock times (none falls in the hour the clocks skip or repeat)."""
    local = calendar.dates(day) + pd.to_timedelta(minute, unit="min")
    utc = local.tz_localize("Europe/Paris").tz_convert("UTC").tz_localize(None)
    return ((local - utc) // pd.Timedelta(hours=1)).to_numpy()


@dataclass(frozen=True)
class MissionVocabulary:
    """Every distinct cell value of the missions file, quoted, ready to be indexed by codes (-1 = empty)."""

    dates: np.ndarray
    title_prefix: np.ndarray   # by shift: 'Réception nuit – '
    title_day: np.ndarray      # by day: '12/03'
    hotel_short: np.ndarray    # by hotel code (deleted hotels after the real ones)
    hotels: np.ndarray
    extras: np.ndarray
    statuses: np.ndarray
    texts: np.ndarray
    rates: np.ndarray          # by half-euro amount + rate_style * len(grid)
    invoices: np.ndarray
    payments: np.ndarray
    created_days: np.ndarray   # [english, day - first_created_day]: '12 janvier 2022' / 'January 12, 2022'
    created_clock: np.ndarray  # [english, minute of the day]: '14:30' / '2:30 PM'
    first_created_day: int

    @classmethod
    def build(cls, calendar: Calendar, hotels: pd.DataFrame, ghosts: pd.DataFrame, extras: pd.DataFrame,
              invoice_numbers: np.ndarray, max_half_euros: int, created: np.ndarray) -> "MissionVocabulary":
        grid = np.arange(max_half_euros + 1) / 2
        hotel_short = np.concatenate([hotels["short"].to_numpy(dtype=object), ghosts["short"].to_numpy(dtype=object)])
        if nf.needs_quotes(hotel_short).any():
            raise ValueError("a hotel's short name holds a comma, a quote or a line break: mission titles would break")
        first_day, last_day = (int(d) for d in np.divmod([created.min(initial=0), created.max(initial=0)], 1440)[0])
        days = calendar.dates(np.arange(first_day, last_day + 1))
        minutes = pd.Timestamp(0) + pd.to_timedelta(np.arange(1440), unit="min")
        return cls(
            dates=nf.quote(date_vocabulary(calendar)),
            title_prefix=("Réception " + SHIFTS["kind"] + " – ").to_numpy(dtype=object),
            title_day=nf.day_month(calendar.dates()),
            hotel_short=hotel_short,
            hotels=nf.with_empty(np.concatenate([hotels["relation"], ghosts["relation"]])),
            extras=nf.with_empty(extras["relation"].to_numpy(dtype=object)),
            statuses=nf.quote(nf.multi_select(np.arange(1 << len(STATUSES)), STATUSES)),
            texts=nf.with_empty(TEXTS),
            rates=nf.quote(np.concatenate([nf.number(grid), nf.number(grid, decimals=2)])),
            invoices=nf.with_empty(invoice_numbers),
            payments=nf.with_empty(PAYMENTS),
            created_days=np.stack([nf.french_date(days), nf.english_date(days)]),
            created_clock=np.stack([nf.hh_mm(minutes), nf.english_time(minutes)]),
            first_created_day=first_day,
        )


def mission_rows(frame: pd.DataFrame, vocab: MissionVocabulary, chunk_rows: int = 200_000) -> Iterator[list]:
    """The cells of ``frame``, ``chunk_rows`` records at a time, column by column (see ``nf.csv_bytes``)."""
    n_styles, n_shifts, n_grid = len(DateStyle), len(SHIFTS), len(vocab.rates) // 2
    for begin in range(0, len(frame), chunk_rows):
        m = frame.iloc[begin:begin + chunk_rows]
        day, shift, pad = (m[c].to_numpy(dtype=np.int64) for c in ("day", "shift", "pad"))
        rate_offset = m["rate_style"].to_numpy(dtype=np.int64) * n_grid
        # Created time in the locale of the row's date: French, or English (its comma needs quotes).
        english = (m["date_style"].to_numpy() == DateStyle.ENGLISH).astype(np.int64)
        created_day, created_minute = np.divmod(m["created"].to_numpy(dtype=np.int64), 1440)
        english_quote = np.where(english == 1, '"', "").astype(object)
        yield [
            ("MIS-", nf.ints(m["number"])),
            # Propriété, e.g. 'Réception nuit – Hôtel des Arts – 12/03': its fragments never need quoting.
            (nf.PAD_LEAD[pad], vocab.title_prefix[shift], vocab.hotel_short[m["title_hotel"].to_numpy()], " – ",
             vocab.title_day[day], nf.PAD_TRAIL[pad]),
            vocab.hotels[m["hotel"].to_numpy(dtype=np.int64)],
            vocab.extras[m["extra"].to_numpy(dtype=np.int64)],
            vocab.dates[(day * n_shifts + shift) * n_styles + m["date_style"].to_numpy(dtype=np.int64)],
            vocab.statuses[m["flags"].to_numpy(dtype=np.int64)],
            vocab.texts[m["overtime"].to_numpy(dtype=np.int64)],
            vocab.rates[m["rate"].to_numpy(dtype=np.int64) + rate_offset],
            vocab.rates[m["urgent_rate"].to_numpy(dtype=np.int64) + rate_offset],
            vocab.invoices[m["invoice"].to_numpy(dtype=np.int64)],
            vocab.payments[m["payment"].to_numpy(dtype=np.int64)],
            (english_quote, vocab.created_days[english, created_day - vocab.first_created_day], " ",
             vocab.created_clock[english, created_minute], english_quote),
        ]
