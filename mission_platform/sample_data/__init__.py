"""The Notion export generator: realistic, deterministic sample exports (docs/NOTION_EXPORTS.md)."""

from mission_platform.sample_data.cli import generate_command
from mission_platform.sample_data.generator import GeneratedExport, build_export, write_export

__all__ = ["GeneratedExport", "build_export", "generate_command", "write_export"]
