"""Anonymisation: keyed pseudonyms, removals, scrubbing, the public-demo profile.

Raw frames are built by hand from the schemas (values of the example export,
``fixtures/example_export``), so these tests do not depend on the parser.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from mission_platform import columns as registry
from mission_platform.anonymise import anonymise_export, find_leaks
from mission_platform.anonymise.text import canonical, words_of
from mission_platform.settings import DemoProfile
from mission_platform_tests.conftest import TEST_KEY

KEY = TEST_KEY.encode()
OFF = DemoProfile(enabled=False)

HOTEL_PAGES = {
    "Hôtel des Arts": "5b0c2d9e8f7a41b3a6c4d2e1f0a9b8c7",
    "Le Lys, Boutique Hôtel (Paris 6e)": "0e1d2c3b4a5968778695a4b3c2d1e0f9",
    "Hôtel de la Gare": "9a8b7c6d5e4f40312233445566778899",
    "Hôtel du Parc": "77aa66bb55cc44dd33ee22ff11009988",
}
EXTRA_PAGES = {"Camille Martin": "1f2e3d4c5b6a47988776655443322110", "Yanis Benali": "aa11bb22cc33dd44ee55ff6677889900"}
HOTEL_IDS = {"Hôtel des Arts": "HOT-1", "Le Lys, Boutique Hôtel (Paris 6e)": "HOT-2", "Hôtel de la Gare": "HOT-3"}
EXTRA_IDS = {"Camille Martin": "EXT-1", "Yanis Benali": "EXT-2"}


def raw_frame(schema: dict[str, str], rows: list[dict]) -> pd.DataFrame:
    """A raw frame with the schema's columns (absent values null, booleans false), then any extra columns."""
    data = {c: [r.get(c, False if t == "bool" else None) for r in rows] for c, t in schema.items()}
    extra = {c: [r.get(c) for r in rows] for r in rows for c in r if c not in schema}
    return registry.conform(pd.DataFrame({**data, **extra}), schema, keep_extra=True)


def hotels_frame(rows: list[tuple]) -> pd.DataFrame:
    """rows: (hotel_id, name, address, zipcode, city, software, hourly_rate, status, notes)."""
    fields = ("hotel_id", "name", "address", "zipcode", "city", "software", "hourly_rate", "status", "notes")
    return raw_frame(registry.PARSED["hotels"], [
        {"row_number": i, **dict(zip(fields, r)), "created_at": pd.Timestamp("2022-01-12 14:30")}
        for i, r in enumerate(rows, 1)
    ])


def extras_frame(rows: list[tuple]) -> pd.DataFrame:
    """rows: (extra_id, name, phone, email, software)."""
    fields = ("extra_id", "name", "phone", "email", "software")
    return raw_frame(registry.PARSED["extras"], [
        {"row_number": i, **dict(zip(fields, r)), "status": "disponible", "missions_count": 3}
        for i, r in enumerate(rows, 1)
    ])


def missions_frame(rows: list[tuple]) -> pd.DataFrame:
    """rows: (mission_id, hotel title, extra title, overtime_text, reject_reason[, hotel_id override])."""
    out = []
    for i, (mission_id, hotel, extra, overtime, reason, *hotel_id) in enumerate(rows, 1):
        start = pd.Timestamp("2024-03-04 06:00", tz="UTC") + pd.Timedelta(days=i)
        out.append({
            "row_number": i,
            "mission_id": mission_id,
            "title": f"Réception jour – {hotel or '??'} – {start:%d/%m}",
            "hotel_title": hotel,
            "extra_title": extra,
            "hotel_page_id": HOTEL_PAGES.get(hotel),
            "extra_page_id": EXTRA_PAGES.get(extra),
            "hotel_id": hotel_id[0] if hotel_id else HOTEL_IDS.get(hotel),
            "extra_id": EXTRA_IDS.get(extra),
            "date_text": f"{start:%d/%m/%Y} 07:00 (UTC+1) → 15:00",
            "start": start,
            "end": start + pd.Timedelta(hours=8),
            "statuses": "confirmée",
            "overtime_text": overtime,
            "overtime_hours": 0.0,
            "hourly_rate": 28.0,
            "urgent_rate": 34.0,
            "invoice": f"F2024-01{i:02d}",
            "payment_status": "payé",
            "reject_reason": reason,
        })
    return raw_frame(registry.PARSED["missions"], out)


def example_raw() -> dict[str, pd.DataFrame]:
    """The example export's records, as the raw stage would hand them over."""
    hotels = hotels_frame([
        ("HOT-1", "Hôtel des Arts ", "12 rue des Beaux-Arts", "75006", "Paris", "Opera", 28.0, "client",
         "Contact : Mme Durand, 01 42 33 44 55, reception@hoteldesarts.fr"),
        ("HOT-2", "Le Lys, Boutique Hôtel (Paris 6e)", "23 rue Serpente", "75006", "Paris", "Mews", 27.5, "client", None),
        ("HOT-3", "Hôtel de la Gare", "5 avenue Thiers", "06000", "Nice", "Medialog", 30.0, "prospect", "rappeler en mai"),
        ("HOT-4", "Hôtel du Parc", "8 quai Saint-Vincent", "69001", "Lyon", "Opera", 29.0, "client", None),
        ("HOT-5", "Hôtel du Parc", "14 boulevard Gambetta", "06000", "Nice", "Protel", 29.0, "client", None),
    ])
    extras = extras_frame([
        ("EXT-1", "Camille Martin", "06 12 34 56 78", "camille.martin@example.org", "Opera, Medialog"),
        ("EXT-2", "Yanis Benali", "+33 7 98 76 54 32", "yanis.b@example.org", "Mews, Opera, Protel"),
    ])
    arts, lys, gare, parc = "Hôtel des Arts", "Le Lys, Boutique Hôtel (Paris 6e)", "Hôtel de la Gare", "Hôtel du Parc"
    camille, yanis = "Camille Martin", "Yanis Benali"
    missions = missions_frame([
        ("MIS-1001", arts, camille, None, None),
        ("MIS-1002", lys, yanis, "1h30 supp", None),
        ("MIS-1003", gare, camille, None, None),
        ("MIS-1004", arts, yanis, None, None),
        ("MIS-1005", arts, camille, "30 minutes heures supp", None),
        ("MIS-1006", lys, None, None, None),
        ("MIS-1007", None, yanis, None, "missing hotel"),
        ("MIS-1008", arts, camille, "resté pour aider", None),
        ("MIS-1009", arts, yanis, None, None),
        ("MIS-1010", lys, camille, None, None),
        ("MIS-1001", arts, camille, None, "duplicate of row 1"),
        ("MIS-1012", parc, camille, None, "ambiguous hotel: 2 hotels are titled Hôtel du Parc", None),
        ("MIS-1013", gare, yanis, "1h supp", None),
    ])
    return {"missions": missions, "hotels": hotels, "extras": extras}


def anonymise(raw: dict[str, pd.DataFrame], *, key: bytes = KEY, profile: DemoProfile = OFF):
    return anonymise_export(raw["missions"], raw["hotels"], raw["extras"], key=key, profile=profile)


def pseudonym_of(result, source: str, id_column: str, id_value: str, column: str = "name") -> str:
    frame = result.frames()[source]
    return frame.loc[frame[id_column] == id_value, column].iloc[0]


# -- shape ---------------------------------------------------------------------------------

def test_output_conforms_exactly_to_the_anonymised_schemas():
    raw = example_raw()
    raw["missions"]["exported_by"] = "Arnaud Lefèvre"  # an unknown column: nobody vouched for it
    result = anonymise(raw)
    for source, frame in result.frames().items():
        assert list(frame.columns) == list(registry.ANONYMISED[source])
        assert {c: str(t) for c, t in frame.dtypes.items()} == {c: str(pd.Series(dtype=t).dtype) for c, t in registry.ANONYMISED[source].items()}
    assert result.hotels["notes"].isna().all()
    assert result.stats.unknown_columns_dropped == {"missions": 1, "hotels": 0, "extras": 0}


def test_profile_off_keeps_every_row_and_every_relation():
    raw = example_raw()
    result = anonymise(raw)
    for source, frame in result.frames().items():
        assert len(frame) == len(raw[source])
        assert frame["row_number"].tolist() == raw[source]["row_number"].tolist()
        assert frame["reject_reason"].isna().tolist() == raw[source]["reject_reason"].isna().tolist()
    for column in ("mission_id", "hotel_id", "extra_id", "start", "end", "hourly_rate", "urgent_rate"):
        pd.testing.assert_series_equal(result.missions[column], raw["missions"][column].reset_index(drop=True))
    pd.testing.assert_series_equal(result.hotels["hotel_id"], raw["hotels"]["hotel_id"])
    pd.testing.assert_series_equal(result.extras["extra_id"], raw["extras"]["extra_id"])
    # Joins still work: each resolved mission finds its hotel and extra, with their pseudonyms.
    kept = result.missions[result.missions["reject_reason"].isna()]
    joined = kept.merge(result.hotels, on="hotel_id", how="left", suffixes=("", "_hotel")).merge(
        result.extras, on="extra_id", how="left", suffixes=("", "_extra"))
    assert joined["name"].notna().all()
    assert (joined["name_extra"].notna() == kept["extra_id"].notna().to_numpy()).all()
    assert result.stats.sampled_out == {"missions": 0, "hotels": 0, "extras": 0}


def test_names_and_addresses_become_realistic_pseudonyms():
    raw = example_raw()
    result = anonymise(raw)
    originals = {words_of(v) for f, cols in (("hotels", ("name", "address")), ("extras", ("name",)))
                 for c in cols for v in raw[f][c]}
    for frame, column in ((result.hotels, "name"), (result.hotels, "address"), (result.extras, "name")):
        assert frame[column].notna().all()
        assert not {words_of(v) for v in frame[column]} & originals
    assert all(len(v.split()) >= 2 for v in result.extras["name"])             # first and last name
    assert all(v.split()[0].isdigit() for v in result.hotels["address"])       # "12 rue ..."
    # The two hotels titled "Hôtel du Parc" are one original: one pseudonym.
    assert pseudonym_of(result, "hotels", "hotel_id", "HOT-4") == pseudonym_of(result, "hotels", "hotel_id", "HOT-5")
    assert result.stats.pseudonyms == {"person": 2, "hotel": 4, "address": 5}


def test_an_empty_key_is_refused_and_missing_columns_are_named():
    raw = example_raw()
    with pytest.raises(ValueError, match="key is empty"):
        anonymise(raw, key=b"")
    with pytest.raises(KeyError, match=r"raw extras frame lacks the columns \['phone'\]"):
        anonymise({**raw, "extras": raw["extras"].drop(columns="phone")})


def test_the_raw_frames_index_does_not_matter():
    raw = example_raw()
    raw["missions"].loc[3, "overtime_text"] = "avec Yanis Benali"  # a scrubbed cell, patched in place
    shifted = {s: f.set_axis(f.index[::-1] * 10 + 7) for s, f in raw.items()}  # reversed, with gaps
    expected, result = anonymise(raw), anonymise(shifted)
    for source in registry.SOURCES:
        pd.testing.assert_frame_equal(result.frames()[source], expected.frames()[source])
    assert "Yanis" not in result.missions.loc[3, "overtime_text"]


# -- stability -----------------------------------------------------------------------------

def test_same_key_gives_identical_output_across_runs():
    first, second = anonymise(example_raw()), anonymise(example_raw())
    for source in registry.SOURCES:
        pd.testing.assert_frame_equal(first.frames()[source], second.frames()[source])


def test_a_person_keeps_their_pseudonym_in_a_later_export_with_more_people():
    earlier = example_raw()
    later = example_raw()
    later["extras"] = pd.concat([later["extras"], extras_frame([
        ("EXT-3", "Inès Meyer-Bonnin", "06 55 44 33 22", "ines@example.org", "Opera"),
        ("EXT-4", "Paul Girard", "07 11 22 33 44", "paul@example.org", "Mews"),
    ])], ignore_index=True)
    later["hotels"] = later["hotels"].iloc[[0, 2, 3, 4]].reset_index(drop=True)  # HOT-2 left the file
    a, b = anonymise(earlier), anonymise(later)
    for extra_id in ("EXT-1", "EXT-2"):
        assert pseudonym_of(a, "extras", "extra_id", extra_id) == pseudonym_of(b, "extras", "extra_id", extra_id)
    for hotel_id in ("HOT-1", "HOT-3", "HOT-4"):
        for column in ("name", "address"):
            assert pseudonym_of(a, "hotels", "hotel_id", hotel_id, column) == pseudonym_of(b, "hotels", "hotel_id", hotel_id, column)


def test_the_same_original_spelt_differently_gets_the_same_pseudonym():
    raw = example_raw()
    respelt = example_raw()
    respelt["extras"].loc[0, "name"] = "  CAMILLE   MARTÍN "
    respelt["hotels"].loc[0, "name"] = "hotel des arts"
    a, b = anonymise(raw), anonymise(respelt)
    assert pseudonym_of(a, "extras", "extra_id", "EXT-1") == pseudonym_of(b, "extras", "extra_id", "EXT-1")
    assert pseudonym_of(a, "hotels", "hotel_id", "HOT-1") == pseudonym_of(b, "hotels", "hotel_id", "HOT-1")


def test_a_different_key_gives_different_pseudonyms():
    a, b = anonymise(example_raw()), anonymise(example_raw(), key=b"another-key-0123456789abcdef")
    pairs = [(a.extras["name"], b.extras["name"]), (a.hotels["name"], b.hotels["name"]), (a.hotels["address"], b.hotels["address"])]
    assert all((x != y).all() for x, y in pairs)
    pd.testing.assert_series_equal(a.missions["mission_id"], b.missions["mission_id"])


# -- conflicts -----------------------------------------------------------------------------

def test_a_first_draw_that_equals_or_contains_an_original_is_drawn_again():
    raw = example_raw()
    first = pseudonym_of(anonymise(raw), "extras", "extra_id", "EXT-1")
    longest_word = max(first.split(), key=len)  # 4+ letters: it counts as a word inside other values
    for newcomer in (first, longest_word):  # a new extra is called exactly that, or has one of its names
        later = example_raw()
        later["extras"] = pd.concat([later["extras"], extras_frame([("EXT-9", newcomer, None, None, "Opera")])], ignore_index=True)
        result = anonymise(later)
        redrawn = pseudonym_of(result, "extras", "extra_id", "EXT-1")
        assert redrawn != first
        assert words_of(newcomer) not in words_of(redrawn)
        assert result.stats.redrawn_pseudonyms >= 1
        # Only the pseudonym in conflict changed.
        assert pseudonym_of(result, "extras", "extra_id", "EXT-2") == pseudonym_of(anonymise(raw), "extras", "extra_id", "EXT-2")
        assert find_leaks(later, result.frames()).total == 0


def test_100k_distinct_names_get_100k_distinct_pseudonyms():
    n = 100_000
    rng = np.random.default_rng(3)
    extras = pd.DataFrame({c: pd.Series([None] * n) for c in registry.PARSED["extras"]})
    extras["row_number"] = np.arange(1, n + 1)
    extras["extra_id"] = [f"EXT-{i}" for i in range(n)]
    extras["name"] = [f"Personne {i:06d} {rng.integers(10**6)}" for i in range(n)]
    extras["missions_count"] = 0
    hotels = pd.DataFrame({c: pd.Series([None] * n) for c in registry.PARSED["hotels"]})
    hotels["row_number"] = np.arange(1, n + 1)
    hotels["hotel_id"] = [f"HOT-{i}" for i in range(n)]
    hotels["name"] = [f"Établissement {i:06d}" for i in range(n)]
    hotels["address"] = [f"{i} voie {i:06d}" for i in range(n)]
    raw = {
        "missions": raw_frame(registry.PARSED["missions"], []),
        "hotels": registry.conform(hotels, registry.PARSED["hotels"]),
        "extras": registry.conform(extras, registry.PARSED["extras"]),
    }
    result = anonymise(raw)
    fakes = pd.concat([result.extras["name"], result.hotels["name"], result.hotels["address"]])
    assert fakes.notna().all()
    assert pd.Series(canonical(pa.array(fakes.to_numpy(dtype=object))).to_pylist()).nunique() == 3 * n
    assert result.stats.redrawn_pseudonyms > 0  # first draws did collide, and were resolved


# -- removal and scrubbing -----------------------------------------------------------------

def test_free_text_is_scrubbed_of_names_contacts_and_ids():
    raw = example_raw()
    texts = {
        0: "1h supp, resté avec camille MARTIN",                       # a name, another case
        1: "appeler Yanis au 07.98.76.54.32 ou yanis.b@example.org",   # a phone in another format, an e-mail
        2: "voir page 5b0c2d9e8f7a41b3a6c4d2e1f0a9b8c7",                # a Notion page id
        3: "client de l'Hôtel des Arts, 12 rue des Beaux-Arts",        # a hotel name and address
        4: "joindre le 01 45 67 89 00 ou contact@autre-hotel.fr",       # contacts of nobody in the export
        5: "vu Hôtel des Arts (https://www.notion.so/Hotel-des-Arts-5b0c2d9e8f7a41b3a6c4d2e1f0a9b8c7?pvs=21)",
    }
    for row, text in texts.items():
        raw["missions"].loc[row, "overtime_text"] = text
    result = anonymise(raw)
    out = result.missions["overtime_text"]
    camille = pseudonym_of(result, "extras", "extra_id", "EXT-1")
    arts = pseudonym_of(result, "hotels", "hotel_id", "HOT-1")
    arts_address = pseudonym_of(result, "hotels", "hotel_id", "HOT-1", "address")
    assert out[0] == f"1h supp, resté avec {camille}"
    assert out[1] == "appeler Yanis au [téléphone] ou [email]"
    assert out[2] == "voir page [masqué]"
    assert out[3] == f"client de l'{arts}, {arts_address}"
    assert out[4] == "joindre le [téléphone] ou [email]"
    assert out[5] == f"vu {arts} ([lien])"  # a Notion relation cell: title and link
    assert out[7] == "resté pour aider"  # nothing personal: untouched
    assert result.stats.scrubbed_cells[("missions", "overtime_text")] == 6
    assert find_leaks(raw, result.frames()).total == 0


def test_set_aside_rows_are_anonymised_like_the_others():
    raw = example_raw()
    raw["missions"].loc[6, "date_text"] = "13/04 appeler Yanis Benali 06 12 34 56 78"
    raw["missions"].loc[6, "reject_reason"] = "missing hotel; extra Yanis Benali"
    raw["missions"].loc[10, "reject_reason"] = "duplicate of Hotel-des-Arts-5b0c2d9e8f7a41b3a6c4d2e1f0a9b8c7"
    raw["hotels"] = pd.concat([raw["hotels"], hotels_frame([
        ("HOT-1", "Hôtel des Arts (doublon)", "12 rue des Beaux-Arts", "75006", "Paris", "Opera", 28.0, "client", "tel 06 99 88 77 66"),
    ]).assign(row_number=6, reject_reason="duplicate id HOT-1")], ignore_index=True)
    result = anonymise(raw)
    yanis = pseudonym_of(result, "extras", "extra_id", "EXT-2")
    rejected = result.missions[result.missions["reject_reason"].notna()]
    assert len(rejected) == 3
    row = result.missions.loc[6]
    assert row["date_text"] == f"13/04 appeler {yanis} [téléphone]"
    assert row["reject_reason"] == f"missing hotel; extra {yanis}"
    assert result.missions.loc[10, "reject_reason"] == "duplicate of Hotel-des-Arts-[masqué]"  # a page id glued in a slug
    twin = result.hotels.iloc[-1]
    assert twin["reject_reason"] == "duplicate id HOT-1" and pd.isna(twin["notes"])
    assert twin["address"] == pseudonym_of(result, "hotels", "hotel_id", "HOT-1", "address")
    assert words_of("Hôtel des Arts") not in words_of(twin["name"])
    assert find_leaks(raw, result.frames()).total == 0


# -- public-demo profile -------------------------------------------------------------------

def many_hotels_export(n_hotels: int, n_extras: int, *, extra_hotels: int = 0) -> dict[str, pd.DataFrame]:
    """n hotels and extras with a mission for every (hotel, extra) pair of a diagonal band, plus unassigned ones."""
    hotels = hotels_frame([
        (f"HOT-{i}", f"Hôtel Numéro {i}", f"{i} rue du Test", "75001", "Paris", "Opera", 20.0 + i % 7, "client", None)
        for i in range(1, n_hotels + extra_hotels + 1)
    ])
    extras = extras_frame([(f"EXT-{i}", f"Extra Numéro {i}", None, None, "Opera") for i in range(1, n_extras + 1)])
    rows = []
    for h in range(1, n_hotels + 1):
        for e in (h % n_extras + 1, (h * 7) % n_extras + 1, None):
            rows.append({
                "row_number": len(rows) + 1, "mission_id": f"MIS-{len(rows) + 1}",
                "hotel_title": f"Hôtel Numéro {h}", "hotel_id": f"HOT-{h}",
                "extra_title": f"Extra Numéro {e}" if e else None, "extra_id": f"EXT-{e}" if e else None,
                "hourly_rate": 28.0, "urgent_rate": 34.0,
            })
    rows.append({"row_number": len(rows) + 1, "mission_id": "MIS-X1", "hotel_title": "Hôtel Inconnu",
                 "reject_reason": "unknown hotel", "hourly_rate": 28.0})
    rows.append({"row_number": len(rows) + 1, "mission_id": "MIS-X2", "hotel_title": "Hôtel Numéro 1", "hotel_id": "HOT-1",
                 "extra_title": "Extra Inconnu", "reject_reason": "unknown extra", "hourly_rate": 28.0})
    return {"missions": raw_frame(registry.PARSED["missions"], rows), "hotels": hotels, "extras": extras}


DEMO = DemoProfile(enabled=True, sample_fraction=0.4, hotel_coeff=1.3, extra_coeff=0.8, seed=11)


def test_demo_profile_keeps_a_stable_sample_and_only_missions_between_sampled_people():
    raw = many_hotels_export(200, 60)
    result = anonymise(raw, profile=DEMO)
    hotels, extras = set(result.hotels["hotel_id"]), set(result.extras["extra_id"])
    assert 40 <= len(hotels) <= 120 and 10 <= len(extras) <= 40  # about 40 % of 200 and of 60
    kept = result.missions
    assert kept["hotel_id"].isin(hotels).all()
    assert (kept["extra_id"].isna() | kept["extra_id"].isin(extras)).all()
    expected = raw["missions"][raw["missions"]["hotel_id"].isin(hotels)
                               & (raw["missions"]["extra_id"].isin(extras) | raw["missions"]["extra_title"].isna())]
    assert sorted(kept["mission_id"]) == sorted(expected["mission_id"])
    # Unresolved set-aside missions may concern people outside the sample: dropped.
    assert not kept["mission_id"].isin(["MIS-X1", "MIS-X2"]).any()
    assert result.stats.sampled_out == {s: len(raw[s]) - len(result.frames()[s]) for s in registry.SOURCES}
    assert find_leaks(raw, result.frames()).total == 0

    # Same sample in another run and in a later export with more hotels; raising the fraction only adds.
    again = anonymise(many_hotels_export(200, 60, extra_hotels=50), profile=DEMO)
    assert set(again.hotels["hotel_id"]) & {f"HOT-{i}" for i in range(1, 201)} == hotels
    assert set(again.extras["extra_id"]) == extras
    wider = anonymise(raw, profile=DemoProfile(**{**DEMO.__dict__, "sample_fraction": 0.7}))
    assert hotels < set(wider.hotels["hotel_id"])
    other_seed = anonymise(raw, profile=DemoProfile(**{**DEMO.__dict__, "seed": 12}))
    assert set(other_seed.hotels["hotel_id"]) != hotels
    # A sampled person keeps the pseudonym they have with the profile off.
    off = anonymise(raw)
    some = sorted(hotels)[0]
    assert pseudonym_of(result, "hotels", "hotel_id", some) == pseudonym_of(off, "hotels", "hotel_id", some)


def test_demo_profile_scales_hotel_rates_only_per_hotel_onto_the_grid():
    raw = many_hotels_export(50, 20)
    result = anonymise(raw, profile=DEMO)
    raw_missions = raw["missions"].set_index("mission_id")
    out = result.missions.set_index("mission_id")
    factors = {}
    for column in ("hourly_rate", "urgent_rate"):
        ratio = out[column] / raw_missions.loc[out.index, column] / 1.3
        assert ((out[column] % 0.5) == 0).all()                  # every figure shown is a plausible real one
        assert ratio.between(0.92 - 0.02, 1.08 + 0.02).all()      # the hotel's own factor, rounded
        factors[column] = ratio
    # One hotel, one factor: its missions' rates and its own rate agree (up to the rounding).
    per_hotel = out.assign(ratio=factors["hourly_rate"]).groupby("hotel_id")["ratio"]
    assert (per_hotel.max() - per_hotel.min()).max() == 0
    assert per_hotel.first().std() > 0.02                         # and hotels differ
    raw_hotels = raw["hotels"].set_index("hotel_id")
    out_hotels = result.hotels.set_index("hotel_id")
    assert ((out_hotels["hourly_rate"] % 0.5) == 0).all()
    assert (out_hotels["hourly_rate"] / raw_hotels.loc[out_hotels.index, "hourly_rate"] / 1.3).between(0.9, 1.1).all()
    pd.testing.assert_series_equal(out["overtime_hours"], raw_missions.loc[out.index, "overtime_hours"])
    assert anonymise(raw, profile=DEMO).missions["hourly_rate"].equals(result.missions["hourly_rate"])   # stable


def test_demo_profile_off_drops_nothing_even_for_unresolved_rows():
    raw = many_hotels_export(30, 10)
    result = anonymise(raw)
    assert {s: len(f) for s, f in result.frames().items()} == {s: len(f) for s, f in raw.items()}
    pd.testing.assert_series_equal(result.missions["hourly_rate"], raw["missions"]["hourly_rate"])
