"""The raw stage: Notion exports read into typed frames (the column registry's parsed schemas).

``files`` finds and decodes the databases, ``values`` parses Notion renderings
a column at a time, ``frames`` builds the three frames and sets bad rows aside,
``reader`` ties them together. ``assets`` and ``sensors`` wrap them for Dagster.
"""

from mission_platform.notion.files import ExportError, find_database_files
from mission_platform.notion.reader import ParsedExport, SourceStats, read_export

__all__ = ["ExportError", "ParsedExport", "SourceStats", "find_database_files", "read_export"]
