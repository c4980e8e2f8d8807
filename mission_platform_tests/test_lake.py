"""The lake resource on both of its backends (a local folder, S3 on moto's server): frames and footers."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from mission_platform.resources import LakeResource
from mission_platform.resources import lake as lake_module
from mission_platform.resources.lake import LakeError


@pytest.fixture(params=["local", "s3"])
def lake(request) -> LakeResource:
    url = request.getfixturevalue("local_lake_url" if request.param == "local" else "s3_lake_url")
    return LakeResource(url=url)


def frame(rows: int, columns: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(rows)
    return pd.DataFrame({
        **{f"number_{i}": rng.integers(0, 1000, rows) for i in range(columns)},
        "text": pd.array(np.where(rng.random(rows) < 0.1, None, rng.integers(0, 50, rows).astype(str)),
                         dtype="string[pyarrow]"),
    })


def test_a_frame_written_a_row_group_at_a_time_reads_back_equal(lake, monkeypatch):
    monkeypatch.setattr(lake_module, "PARQUET_ROW_GROUP_ROWS", 1_000)   # several row groups and a partial last one
    written = frame(2_500)
    assert pq.read_metadata(io.BytesIO(lake_module.parquet_bytes(written))).num_row_groups == 3
    lake.write_parquet("parsed/x/missions.parquet", written)
    pd.testing.assert_frame_equal(lake.read_parquet("parsed/x/missions.parquet", arrow_strings=True), written)
    assert lake.read_parquet("parsed/x/missions.parquet")["text"].isna().sum() == written["text"].isna().sum()


@pytest.mark.parametrize("rows, columns", [(0, 1), (2_500, 3), (10, 900)])   # 900 columns: a footer over 64 KiB
def test_the_row_count_comes_from_the_footer_alone(lake, monkeypatch, rows, columns):
    key = "anonymised/x/missions.parquet"
    lake.write_parquet(key, frame(rows, columns))
    read = []
    monkeypatch.setattr(LakeResource, "read_bytes", lambda self, k: pytest.fail(f"read the whole of {k}"))
    original_tail = LakeResource.read_tail
    monkeypatch.setattr(LakeResource, "read_tail",
                        lambda self, k, size: read.append(size) or original_tail(self, k, size))
    assert lake.read_parquet_row_count(key) == rows
    assert len(read) == (2 if columns == 900 else 1)   # the last 64 KiB, then the whole footer when larger


def test_a_row_count_of_an_object_that_is_not_parquet_or_not_there_is_one_clear_error(lake):
    lake.write_bytes("anonymised/x/missions.parquet", b"mission_id;date\nMIS-1;2024-01-01\n")
    with pytest.raises(LakeError, match=r"anonymised/x/missions\.parquet is not a Parquet file"):
        lake.read_parquet_row_count("anonymised/x/missions.parquet")
    whole = lake_module.parquet_bytes(frame(10))
    lake.write_bytes("anonymised/x/missions.parquet", whole[len(whole) // 2:])   # a cut object: its head lost
    with pytest.raises(LakeError, match=r"anonymised/x/missions\.parquet is not a whole Parquet file"):
        lake.read_parquet_row_count("anonymised/x/missions.parquet")
    with pytest.raises(LakeError, match=r"anonymised/y/missions\.parquet does not exist"):
        lake.read_parquet_row_count("anonymised/y/missions.parquet")
