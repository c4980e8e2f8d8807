"""Normalisation, word matching, contact patterns and pseudonym pools."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from mission_platform.anonymise.originals import PersonalIndex
from mission_platform.anonymise.pools import POOLS, render
from mission_platform.anonymise.pseudonyms import assign_pseudonyms
from mission_platform.anonymise.scrub import _replace_runs, _word_spans
from mission_platform.anonymise.text import (
    _char_words,
    canonical,
    find_contacts,
    phone_variants,
    replace_contacts,
    tokenise,
    words_of,
)
from mission_platform_tests.test_anonymise import KEY, example_raw


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("  Hôtel   des Arts ", "hotel des arts"),
        ("Le Lys, Boutique Hôtel (Paris 6e)", "le lys boutique hotel paris 6e"),
        ("Inès MEYER-BONNIN", "ines meyer-bonnin"),
        ("Straße l’Œuf ﬁn", "strasse l œuf fin"),
        ("04/03/2024 07:00 (UTC+1) → 15:00", "04 03 2024 07 00 utc 1 15 00"),
        ("e\u0301te\u0301\u00a0x", "ete x"),
        ("", ""),
    ],
)
def test_words_of(text, words):
    assert words_of(text) == words


def test_the_vectorised_normalisation_is_exactly_the_python_one():
    rng = random.Random(5)
    alphabet = list("aZ09 -_,.;'’()→–éÉèôçßﬁ½™Σς İǅ\u0301\u00a0\u202f@+ŒØ漢") + ["\U0001F600"]
    values = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30))) for _ in range(5000)]
    expected = [words_of(v) for v in values]
    assert canonical(pa.array(values)).to_pylist() == expected
    words, parents, offsets = tokenise(pa.array(values))
    assert words.to_pylist() == [w for e in expected for w in e.split()]
    assert np.array_equal(np.diff(offsets), [len(e.split()) for e in expected])
    assert np.array_equal(parents, np.repeat(np.arange(len(values)), np.diff(offsets)))


def test_the_character_map_is_idempotent_over_the_basic_plane():
    # tokenise and the index normalise text that is already normalised: what a character becomes maps to itself.
    for code in range(0x10000):
        if 0xD800 <= code < 0xE000:
            continue
        mapped = _char_words(chr(code))
        assert "".join(_char_words(c) for c in mapped) == mapped, hex(code)


def test_word_spans_point_back_into_the_original_text():
    text = "Vu  l’Hôtel DES ARTS, e\u0301te\u0301!"
    spans = _word_spans(text)
    assert [text[a:b] for a, b in spans] == ["Vu", "l", "Hôtel", "DES", "ARTS", "e\u0301te\u0301"]
    assert len(spans) == len(words_of(text).split())


def test_matches_give_every_occurrence_and_replacement_keeps_the_rest():
    raw = example_raw()
    index = PersonalIndex.from_raw(raw)
    text = "Camille Martin puis CAMILLE MARTIN, et Camille Martinez"
    matches = index.match(pa.array(["rien", text]))
    assert set(matches.doc) == {1}
    assert sorted(zip(matches.start, matches.length)) == [(0, 2), (3, 2)]
    assert _replace_runs(text, matches, lambda original: "X Y") == "X Y puis X Y, et Camille Martinez"
    assert "PersonalIndex(" in repr(index) and "Martin" not in repr(index)


def test_contact_patterns():
    phones, emails = find_contacts(pa.array([
        "tel 06 12 34 56 78, 06.12.34.56.79 ou +33 (0)6 12 34 56 80", "a.b@c.fr; x_y@z.example.org",
        "04/03/2024 07:00 → 15:00", "F2024-0101", None,
    ]))
    assert phones == ["+33 (0)6 12 34 56 80", "06 12 34 56 78", "06.12.34.56.79"]
    assert emails == ["a.b@c.fr", "x_y@z.example.org"]
    assert replace_contacts(pa.array([
        "06 12 34 56 78 / a@b.fr", "04/03/2024 07:00", "X (https://www.notion.so/X-0e1d2c3b4a5968778695a4b3c2d1e0f9?pvs=21)",
    ])).to_pylist() == ["[téléphone] / [email]", "04/03/2024 07:00", "X ([lien])"]
    variants = {words_of(v) for v in phone_variants("+33 6 12 34 56 78")}
    assert variants >= {"06 12 34 56 78", "0612345678", "33 6 12 34 56 78", "33612345678", "06-12-34-56-78"}
    assert {words_of(v) for v in phone_variants("+33 (0)6 12 34 56 78")} == variants | {"33 0 6 12 34 56 78"}
    assert {words_of(v) for v in phone_variants("0033612345678")} >= variants
    assert phone_variants("+44 20 7946 0958") == ["+44 20 7946 0958"]


def test_pools_render_deterministically_and_cover_every_template():
    rng = np.random.default_rng(0)
    for pool in POOLS.values():
        selector, index = (rng.integers(0, 2**63, 5000, dtype=np.uint64) for _ in range(2))
        first, second = render(pool, selector, index), render(pool, selector, index)
        assert list(first) == list(second)
        assert all(isinstance(v, str) and v == v.strip() and "  " not in v for v in first)
        assert pd.Series(first).nunique() > 4500


def test_pseudonyms_do_not_depend_on_what_else_is_drawn():
    index = PersonalIndex.from_raw(example_raw())
    alone = assign_pseudonyms({"person": ["camille martin"]}, key=KEY, index=index)
    together = assign_pseudonyms({"person": ["camille martin", "yanis benali"], "hotel": ["hotel des arts"]}, key=KEY, index=index)
    assert alone.by_kind["person"]["camille martin"] == together.by_kind["person"]["camille martin"]
    assert "camille" not in repr(together).lower()
