"""The raw stage: Notion exports read into typed frames (schemas.PARSED_*).

``files`` finds and decodes the databases, ``values`` parses Notion renderings
a column at a time, ``frames`` builds the three frames and sets bad rows aside,
``export`` ties them together. ``assets`` and ``sensors`` wrap them for Dagster.
"""

from mission_platform.notion.export import ParsedExport, SourceStats, read_export, reason_kind
from mission_platform.notion.files import ExportError, find_database_files

__all__ = ["ExportError", "ParsedExport", "SourceStats", "find_database_files", "read_export", "reason_kind"]
