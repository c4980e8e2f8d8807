"""mission_platform: Notion exports to a PostgreSQL warehouse and a mission forecast, as a Dagster asset graph."""
