"""One partition per Notion export, keyed by its ``export_id`` (see lake_layout)."""

import dagster as dg

exports_partitions = dg.DynamicPartitionsDefinition(name="notion_exports")
