"""The hotels and extras of a generated export: who they are and when they are active.

Faker (``fr_FR``) invents names and streets, one call per hotel or extra
(hundreds to thousands, never per mission); everything else is drawn with
numpy. Days are indices of the export's :class:`~.demand.Calendar` (negative =
before the history starts).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from faker import Faker

from mission_platform.columns import EXTRAS, HOTELS
from mission_platform.sample_data import notion_format as nf
from mission_platform.sample_data.demand import Calendar

SOFTWARE = ("Opera", "Mews", "Protel", "Medialog", "Misterbooking")
HOTEL_SOFTWARE_SHARES = np.array([0.35, 0.2, 0.15, 0.2, 0.1])
EXTRA_SOFTWARE_SHARES = np.array([0.55, 0.35, 0.3, 0.3, 0.2])  # each extra masters several

SLOTS = ("matin", "après-midi", "soir", "nuit")          # extras' Disponibilités
SLOT_SHARES = np.array([0.7, 0.6, 0.5, 0.35])
DAY_TYPES = ("semaine", "week-end", "jours fériés")      # extras' dispos
DAY_TYPE_SHARES = np.array([0.85, 0.6, 0.4])
PROCEDURES = ("à jour", "à faire")
HOTEL_STATUSES = ("client", "prospect", "perdu")
EXTRA_STATUSES = ("disponible", "en mission", "inactif")

# Real places so that addresses look right: (city, postal code, weight). Paris dominates.
_PARIS = [("Paris", f"750{n:02d}", 2.5) for n in range(1, 21)]
_ELSEWHERE = [
    ("Boulogne-Billancourt", "92100", 2), ("Neuilly-sur-Seine", "92200", 2), ("Versailles", "78000", 2),
    ("Vincennes", "94300", 1), ("Saint-Denis", "93200", 1), ("Nice", "06000", 3), ("Nice", "06300", 2),
    ("Cannes", "06400", 2), ("Antibes", "06600", 1), ("Menton", "06500", 1), ("Lyon", "69002", 2),
    ("Lyon", "69003", 1), ("Marseille", "13001", 2), ("Aix-en-Provence", "13100", 1), ("Bordeaux", "33000", 2),
    ("Lille", "59000", 1), ("Annecy", "74000", 1), ("Chamonix-Mont-Blanc", "74400", 1), ("Deauville", "14800", 1),
    ("Biarritz", "64200", 1), ("Bourg-en-Bresse", "01000", 1), ("Laon", "02000", 1), ("Vichy", "03200", 1),
    ("Digne-les-Bains", "04000", 1), ("Gap", "05000", 1), ("Charleville-Mézières", "08000", 1),
    ("Troyes", "10000", 1), ("Strasbourg", "67000", 1), ("Nantes", "44000", 1),
]
PLACES = pd.DataFrame(_PARIS + _ELSEWHERE, columns=["city", "zipcode", "weight"])

_NAMED_AFTER_THINGS = {
    "Hôtel du": ["Parc", "Louvre", "Théâtre", "Port", "Commerce", "Midi", "Lac", "Palais", "Marché", "Château",
                 "Cygne", "Lion d'Or", "Cheval Blanc", "Soleil", "Pont Neuf", "Square"],
    "Hôtel de la": ["Gare", "Plage", "Poste", "Tour", "Cathédrale", "Place", "Paix", "Madeleine", "Rotonde"],
    "Hôtel des": ["Arts", "Voyageurs", "Tilleuls", "Remparts", "Ducs", "Carmes", "Marronniers", "Grands Hommes"],
}
_NAMED_AFTER_PEOPLE = ["Hôtel", "Le", "Grand Hôtel", "Résidence", "Le Relais", "Villa", "Les Jardins de"]
_BOUTIQUE_NAMES = ["Le Lys", "L'Écrin", "La Maison Bleue", "Le Comptoir", "L'Atelier", "Le Petit Nid", "La Loge",
                   "Le Bristol", "L'Alcôve", "Le Mistral", "La Bastide", "Le Patio"]

EMAIL_DOMAINS = np.array(["gmail.com", "free.fr", "orange.fr", "hotmail.fr", "laposte.net", "outlook.fr",
                          "yahoo.fr", "sfr.fr"], dtype=object)

# Deleted hotel pages that some missions still point to (the "unknown hotel" mess).
GHOST_HOTELS = 3


def _place_label(city: str, zipcode: str) -> str:
    """``Paris 6e`` / ``Paris 1er`` for Paris, the city elsewhere (boutique-hotel names)."""
    if city != "Paris":
        return city
    n = int(zipcode[-2:])
    return f"Paris {n}{'er' if n == 1 else 'e'}"


class UniqueNames:
    """Names that stay distinct once trimmed and compared case- and accent-insensitively."""

    def __init__(self) -> None:
        self.taken: set[str] = set()

    def take(self, propose) -> str:
        """``propose(attempt)`` until a free name comes; then number the last proposal."""
        for attempt in range(50):
            name = propose(attempt)
            if nf.normalised_title(name) not in self.taken:
                break
        suffix = 2
        base = name
        while nf.normalised_title(name) in self.taken:
            name = f"{base} {suffix}"
            suffix += 1
        self.taken.add(nf.normalised_title(name))
        return name


def _hotel_name(fake: Faker, place: str) -> str:
    style = fake.random_int(0, 9)
    if style <= 3:
        return f"{fake.random_element(_NAMED_AFTER_PEOPLE)} {fake.last_name()}"
    if style <= 7:
        prefix = fake.random_element(list(_NAMED_AFTER_THINGS))
        return f"{prefix} {fake.random_element(_NAMED_AFTER_THINGS[prefix])}"
    # A title with a comma and parentheses, as in the example export.
    return f"{fake.random_element(_BOUTIQUE_NAMES)}, Boutique Hôtel ({place})"


def short_names(names: np.ndarray) -> np.ndarray:
    """The name up to its first comma or parenthesis (what people write in mission titles)."""
    return (pd.Series(names, dtype=object).str.split(r"[,(]", n=1, regex=True).str[0].str.strip()
            .to_numpy(dtype=object))


def phone_numbers(rng: np.random.Generator, n: int, leading: list[int], international_share: float) -> np.ndarray:
    """``06 12 34 56 78`` or ``+33 6 12 34 56 78``."""
    lead = nf.ints(rng.choice(leading, size=n))
    pairs = rng.integers(0, 100, size=(n, 4))
    rest = " " + nf.zero_padded(pairs[:, 0], 2)
    for column in range(1, 4):
        rest = rest + " " + nf.zero_padded(pairs[:, column], 2)
    international = rng.random(n) < international_share
    return np.where(international, "+33 " + lead + rest, "0" + lead + rest).astype(object)


def _lifecycle(rng: np.random.Generator, n: int, calendar: Calendar, early_share: float) -> np.ndarray:
    """Creation days, sorted (IDs follow creation order): some before the history starts, the rest during it."""
    early = max(1, int(round(early_share * n)))
    created = np.concatenate([
        rng.integers(-365, 0, size=early),
        rng.integers(0, calendar.export_day, size=n - early),
    ])
    created.sort()
    return created


def unique_id_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    """Unique-ID numbers in creation order, with the gaps deleted pages leave (never reused)."""
    gaps = np.where(rng.random(n) < 0.03, rng.integers(2, 5, size=n), 1)
    return np.cumsum(gaps)


def _random_day(rng: np.random.Generator, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """A day drawn uniformly in [low, high] for each pair."""
    return low + np.floor(rng.random(len(low)) * (high - low + 1)).astype(np.int64)


def _timestamps(calendar: Calendar, day: np.ndarray, rng: np.random.Generator) -> pd.DatetimeIndex:
    """A working-hours time on each day (creation times)."""
    minutes = rng.integers(8 * 60, 20 * 60, size=len(day))
    return calendar.dates(day) + pd.to_timedelta(minutes, unit="min")


def build_hotels(rng: np.random.Generator, fake: Faker, n: int, calendar: Calendar) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``n`` hotels (HOT-…) and the few deleted hotels some messy missions point to."""
    e = calendar.export_day
    place = PLACES.iloc[rng.choice(len(PLACES), size=n + GHOST_HOTELS, p=PLACES["weight"] / PLACES["weight"].sum())]
    city, zipcode = place["city"].to_numpy(dtype=object), place["zipcode"].to_numpy(dtype=object)
    labels = [_place_label(c, z) for c, z in zip(city, zipcode)]
    unique = UniqueNames()
    names = nf.text([unique.take(lambda _attempt, label=label: _hotel_name(fake, label)) for label in labels])
    addresses = nf.text([fake.street_address().replace(", ", " ") for _ in range(n)])
    contacts = nf.text([f"{fake.random_element(['Mme', 'M.'])} {fake.last_name()}" for _ in range(n)])
    managers = nf.text([fake.name() for _ in range(n)])
    page_ids = nf.hex_ids(rng, n + GHOST_HOTELS)
    relation = nf.relation_cells(names, page_ids)

    created = _lifecycle(rng, n, calendar, early_share=0.35)
    recent = created > e - 90
    status = np.where(rng.random(n) < np.where(recent, 0.6, 0.08), 1, 0)               # prospect
    status = np.where((status == 0) & (created < e - 180) & (rng.random(n) < 0.12), 2, status)  # lost
    status[0] = 0  # the oldest hotel is a client, so every day of history has somewhere to work
    lost_day = np.where(status == 2, _random_day(rng, created + 60, np.full(n, e - 14)), np.iinfo(np.int32).max)

    # Clients were called within 150 days, prospects within 60, lost hotels any time before they left.
    window_start = np.maximum(created, e - np.array([150, 60, 10_000])[status])
    window_end = np.where(status == 2, np.minimum(lost_day, e), e)
    has_contact = rng.random(n) < np.array([0.85, 0.8, 0.6])[status]
    last_contact = pd.Series(calendar.dates(_random_day(rng, window_start, window_end))).where(has_contact)

    rate = rng.integers(25, 33, size=n) + np.where(rng.random(n) < 0.3, 0.5, 0.0) + (city[:n] == "Paris")
    rooms = np.clip(rng.lognormal(np.log(45), 0.6, size=n).round(), 10, 300)
    software = rng.choice(len(SOFTWARE), size=n, p=HOTEL_SOFTWARE_SHARES)

    notes = _hotel_notes(rng, names[:n], software, contacts, managers)
    hotels = pd.DataFrame({
        "number": unique_id_numbers(rng, n),
        "name": names[:n],
        "short": short_names(names[:n]),
        "relation": relation[:n],
        "address": addresses,
        "zipcode": zipcode[:n],
        "city": city[:n],
        "software": software,
        "rooms": np.where(rng.random(n) < 0.1, np.nan, rooms),
        "rate": rate,
        "urgent_rate": rate + rng.choice([5, 6, 6, 7], size=n),
        "procedures": rng.choice([0, 1, -1], size=n, p=[0.5, 0.25, 0.25]),
        "status": status,
        "created_day": created,
        "created": _timestamps(calendar, created, rng),
        "lost_day": lost_day,
        "last_contact": last_contact.to_numpy(),
        "notes": notes,
        # Bigger hotels call for more missions; the rest is the hotel's own habits.
        "weight": np.nan_to_num(rooms) ** 0.7 * rng.lognormal(0.0, 0.5, size=n) * (status != 1),
        "pad": np.zeros(n, dtype=np.int8),
        "rate_style": np.zeros(n, dtype=np.int8),
    })
    ghosts = pd.DataFrame({"short": short_names(names[n:]), "relation": relation[n:]})
    return hotels, ghosts


def _hotel_notes(rng: np.random.Generator, names: np.ndarray, software: np.ndarray, contacts: np.ndarray,
                 managers: np.ndarray) -> np.ndarray:
    """Free-text notes; some hold a contact's name, phone number and e-mail address (personal data)."""
    n = len(names)
    domain = pd.Series(nf.page_slugs(short_names(names)), dtype=object).str.replace("-", "").str.lower() + ".fr"
    mailbox = rng.choice(np.array(["reception", "contact", "direction"], dtype=object), size=n)
    month = nf.FRENCH_MONTHS[rng.integers(0, 12, size=n)]
    choices = np.stack([
        np.full(n, "", dtype=object),
        "Contact : " + contacts + ", " + phone_numbers(rng, n, [1, 4], 0.0) + ", " + mailbox + "@" + domain.to_numpy(),
        "Directeur : " + managers + ", " + phone_numbers(rng, n, [6, 7], 0.3),
        "rappeler en " + month,
        "préfère les extras qui connaissent " + np.asarray(SOFTWARE, dtype=object)[software],
        np.full(n, "accès par l'entrée de service", dtype=object),
        np.full(n, "clés à récupérer auprès du veilleur", dtype=object),
    ])
    pick = rng.choice(len(choices), size=n, p=[0.45, 0.25, 0.08, 0.07, 0.07, 0.04, 0.04])
    return choices[pick, np.arange(n)]


def build_extras(rng: np.random.Generator, fake: Faker, n: int, calendar: Calendar) -> pd.DataFrame:
    """``n`` extras (EXT-…) with their skills, availability, holidays and activity period."""
    e = calendar.export_day
    unique = UniqueNames()
    people = [(fake.first_name(), fake.last_name()) for _ in range(n)]
    names = nf.text([
        unique.take(lambda attempt, first=first, last=last:
                    f"{first} {last}" if attempt == 0 else f"{first} {last}-{fake.last_name()}")
        for first, last in people
    ])
    first = nf.text([p[0] for p in people])
    last = nf.text([name[len(f) + 1:] for name, f in zip(names, first)])

    created = _lifecycle(rng, n, calendar, early_share=0.4)
    inactive = (created < e - 120) & (rng.random(n) < 0.12)
    inactive[0] = False  # someone can always work, whatever the day
    inactive_from = np.where(inactive, _random_day(rng, created + 60, np.full(n, e - 7)), np.iinfo(np.int32).max)
    on_holiday = ~inactive & (rng.random(n) < 0.2)
    on_holiday[0] = False
    holiday_start = np.where(on_holiday, e + rng.integers(-45, 75, size=n), -1)
    holiday_days = np.where(on_holiday, rng.integers(7, 22, size=n), 0)

    return pd.DataFrame({
        "number": unique_id_numbers(rng, n),
        "name": names,
        "relation": nf.relation_cells(names, nf.hex_ids(rng, n)),
        "phone": phone_numbers(rng, n, [6, 7], 0.4),
        "email": _emails(rng, first, last),
        "software": _flags(rng, n, EXTRA_SOFTWARE_SHARES),
        "slots": _flags(rng, n, SLOT_SHARES),
        "day_types": _flags(rng, n, DAY_TYPE_SHARES),
        "created_day": created,
        "created": _timestamps(calendar, created, rng),
        "inactive_from": inactive_from,
        "holiday_start": holiday_start,
        "holiday_days": holiday_days,
        "weight": rng.lognormal(0.0, 0.6, size=n),
        "pad": np.zeros(n, dtype=np.int8),
    })


def _flags(rng: np.random.Generator, n: int, shares: np.ndarray) -> np.ndarray:
    """A multi-select as a bit mask, never empty (the first option when nothing was drawn)."""
    bits = (rng.random((n, len(shares))) < shares).astype(np.int64) @ (1 << np.arange(len(shares)))
    return np.where(bits == 0, 1, bits)


def _emails(rng: np.random.Generator, first: np.ndarray, last: np.ndarray) -> np.ndarray:
    def handle(values: np.ndarray) -> np.ndarray:
        return (pd.Series(nf.ascii_fold(values), dtype=object).str.lower()
                .str.replace(r"[^a-z0-9]+", "", regex=True).to_numpy(dtype=object))

    f, l = handle(first), handle(last)
    initial = pd.Series(f, dtype=object).str[:1].to_numpy(dtype=object)
    style = rng.integers(0, 3, size=len(f))
    local = np.where(style == 0, f + "." + l, np.where(style == 1, initial + l, f + l + nf.ints(rng.integers(1, 99, size=len(f)))))
    return local + "@" + rng.choice(EMAIL_DOMAINS, size=len(f))


# -- rendering --------------------------------------------------------------------------------

HOTEL_HEADER = HOTELS.headers
EXTRA_HEADER = EXTRAS.headers


def render_hotels(hotels: pd.DataFrame) -> list[np.ndarray]:
    rooms = hotels["rooms"].to_numpy()
    return [nf.quote(column) for column in (
        "HOT-" + nf.ints(hotels["number"]),
        nf.stray_spaces(hotels["name"].to_numpy(dtype=object), hotels["pad"].to_numpy()),
        hotels["address"].to_numpy(dtype=object),
        hotels["zipcode"].to_numpy(dtype=object),
        hotels["city"].to_numpy(dtype=object),
        np.asarray(SOFTWARE, dtype=object)[hotels["software"].to_numpy()],
        np.where(np.isnan(rooms), "", nf.ints(np.nan_to_num(rooms))).astype(object),
        nf.rates(hotels["rate"].to_numpy(), hotels["rate_style"].to_numpy()),
        nf.text(list(PROCEDURES) + [""])[hotels["procedures"].to_numpy()],
        np.asarray(HOTEL_STATUSES, dtype=object)[hotels["status"].to_numpy()],
        _optional(hotels["last_contact"], nf.french_date),
        hotels["notes"].to_numpy(dtype=object),
        nf.french_date(hotels["created"], with_time=True),
    )]


def render_extras(extras: pd.DataFrame, calendar: Calendar) -> list[np.ndarray]:
    holiday_start = pd.Series(calendar.dates(np.maximum(extras["holiday_start"], 0)))
    holiday_end = holiday_start + pd.to_timedelta(extras["holiday_days"], unit="D")
    holidays = (nf.french_date(holiday_start, with_time=True) + nf.ARROW
                + nf.french_date(holiday_end, with_time=True))
    return [nf.quote(column) for column in (
        "EXT-" + nf.ints(extras["number"]),
        nf.stray_spaces(extras["name"].to_numpy(dtype=object), extras["pad"].to_numpy()),
        extras["phone"].to_numpy(dtype=object),
        extras["email"].to_numpy(dtype=object),
        nf.multi_select(extras["software"], SOFTWARE),
        np.asarray(EXTRA_STATUSES, dtype=object)[extras["status"].to_numpy()],
        np.where(extras["holiday_start"] >= 0, holidays, "").astype(object),
        nf.multi_select(extras["slots"], SLOTS),
        nf.multi_select(extras["day_types"], DAY_TYPES),
        nf.french_date(extras["created"], with_time=True),
        nf.ints(extras["missions_count"]),
    )]


def _optional(stamps: pd.Series, render) -> np.ndarray:
    """``render`` of each timestamp; an empty cell where there is none."""
    present = stamps.notna().to_numpy()
    return np.where(present, render(stamps.fillna(pd.Timestamp(0))), "").astype(object)
