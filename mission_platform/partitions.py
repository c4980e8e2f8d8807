"""One partition per Notion export, keyed by its ``export_id`` (YYYY-MM-DD or YYYY-MM-DDTHHMM)."""

import re

import dagster as dg

exports_partitions = dg.DynamicPartitionsDefinition(name="notion_exports")

EXPORT_ID = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{4})?$")


def is_export_id(value: str) -> bool:
    return bool(EXPORT_ID.match(value))

