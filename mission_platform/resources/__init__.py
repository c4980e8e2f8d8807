"""The resources every stage meets: the lake, the warehouse, and the secret settings.

``lake.py`` (folder or S3), ``warehouse.py`` (PostgreSQL), ``embedded_postgres.py`` (the embedded
server's process), ``secrets.py`` (tariffs, anonymisation key and public-demo profile). The ``*_from_env``
builders give each field its environment variable: as a ``dg.EnvVar`` when the variable is set (the UI
shows the variable's name, the run reads its value), as the default when it is unset or blank.
"""

from __future__ import annotations

from typing import Optional

import dagster as dg

from mission_platform import settings
from mission_platform.resources.embedded_postgres import embedded_postgres_url
from mission_platform.resources.lake import LakeError, LakeObject, LakeResource
from mission_platform.resources.secrets import AnonymisationResource, TariffsResource
from mission_platform.resources.warehouse import WarehouseResource
from mission_platform.settings import describe_url

__all__ = [
    "AnonymisationResource", "LakeError", "LakeObject", "LakeResource", "TariffsResource", "WarehouseResource",
    "anonymisation_resource_from_env", "describe_url", "embedded_postgres_url", "lake_from_env", "tariffs_resource_from_env",
    "warehouse_from_env",
]


def _env(name: str) -> Optional[dg.EnvVar]:
    """The variable as an EnvVar when set and not blank; None (the field's default) otherwise."""
    return dg.EnvVar(name) if settings.raw(name) else None


def lake_from_env() -> LakeResource:
    return LakeResource(url=settings.lake_url(), s3_endpoint_url=settings.s3_endpoint_url(),
                        s3_region=settings.s3_region())


def warehouse_from_env() -> WarehouseResource:
    url = _env("MISSION_WAREHOUSE_URL")
    return WarehouseResource(
        url=url,
        embedded_dir=None if url else str(settings.data_dir() / "warehouse"),
        looker_reader_password=_env("LOOKER_READER_PASSWORD"),
        max_row_drop_share=_env("MISSION_MAX_ROW_DROP_SHARE"),
    )


def tariffs_resource_from_env() -> TariffsResource:
    return TariffsResource(
        overtime_rate=_env("OVERTIME_RATE"),
        extra_hourly_pay=_env("EXTRA_HOURLY_PAY"),
        extra_hourly_pay_urgent=_env("EXTRA_HOURLY_PAY_URGENT"),
        vat_rate=_env("VAT_RATE"),
        environment=_env("MISSION_ENV"),
    )


def anonymisation_resource_from_env() -> AnonymisationResource:
    return AnonymisationResource(
        key=_env("ANONYMISATION_KEY"),
        data_dir=str(settings.data_dir()),
        environment=_env("MISSION_ENV"),
        public_demo=_env("MISSION_PUBLIC_DEMO"),
        sample_fraction=_env("MISSION_DEMO_SAMPLE_FRACTION"),
        hotel_coeff=_env("MISSION_DEMO_HOTEL_COEFF"),
        extra_coeff=_env("MISSION_DEMO_EXTRA_COEFF"),
        seed=_env("MISSION_DEMO_SEED"),
    )
