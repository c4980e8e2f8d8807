"""Keyed draws: HMAC-SHA256 of the secret key and a message, as numbers (pseudonyms, samples, demo factors)."""

from __future__ import annotations

import hmac

import numpy as np
import pandas as pd


def keyed_digests(key: bytes, messages: list[str]) -> np.ndarray:
    """HMAC-SHA256 of each message as four big-endian uint64 per row."""
    joined = b"".join(hmac.digest(key, m.encode("utf-8"), "sha256") for m in messages)
    return np.frombuffer(joined, dtype=">u8").astype(np.uint64).reshape(-1, 4)


def keyed_uniform(key: bytes, prefix: str, ids: pd.Series) -> np.ndarray:
    """Per row, a number in [0, 1) drawn from HMAC(key, prefix + id); computed once per distinct id (nulls: 0.5)."""
    codes, distinct = pd.factorize(ids, use_na_sentinel=True)
    digests = keyed_digests(key, [f"{prefix}\x1f{i}" for i in distinct]) if len(distinct) else np.empty((0, 4), np.uint64)
    uniform = np.append(digests[:, 0] / np.float64(2**64), 0.5)   # code -1 (null) takes the last entry
    return uniform[codes]
