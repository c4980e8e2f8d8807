"""The lake, the resource every stage meets (a local folder or S3), and what resources share.

``lake.py`` (folder or S3), ``fields.py`` (fields fed by environment variables). Each stage owns its
other resources, beside its assets: the warehouse and the tariffs in ``warehouse/resources.py``, the
anonymisation key and the public-demo profile in ``anonymise/resources.py``.
"""

from __future__ import annotations

from mission_platform import settings
from mission_platform.resources.lake import LakeError, LakeObject, LakeResource, parquet_bytes

__all__ = ["LakeError", "LakeObject", "LakeResource", "lake_from_env", "parquet_bytes"]


def lake_from_env() -> LakeResource:
    return LakeResource(url=settings.lake_url(), s3_endpoint_url=settings.s3_endpoint_url(),
                        s3_region=settings.s3_region())
