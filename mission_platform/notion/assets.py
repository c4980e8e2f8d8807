"""Raw assets: one Notion export (a lake folder) parsed into three typed frames.

The three databases are parsed together because a mission's relations are
resolved against the hotel and extra files of the same export.
"""


import dagster as dg

from mission_platform import settings
from mission_platform.erasure import suppress
from mission_platform.erasure.lake import load_suppression
from mission_platform.lake_layout import export_prefix
from mission_platform.metadata import frame_metadata, reasons_metadata
from mission_platform.notion import ExportError, read_export
from mission_platform.partitions import exports_partitions
from mission_platform.resources import LakeResource
from mission_platform.steps import step_guard


def read_export_files(lake: LakeResource, export_id: str) -> dict[str, bytes]:
    """The export folder's objects, by name relative to the folder."""
    prefix = export_prefix(export_id)
    objects = lake.list(prefix)
    if not objects:
        raise ExportError(f"export {export_id}: the folder {lake.location(prefix)} is empty or does not exist")
    return {obj.key[len(prefix) + 1:]: lake.read_bytes(obj.key) for obj in objects}


@dg.multi_asset(
    outs={
        name: dg.AssetOut(
            group_name="notion",
            io_manager_key="parsed_io_manager",
            kinds={"pandas", "parquet"},
            description=description,
        )
        for name, description in {
            "notion_missions": "Missions of one Notion export, typed; relations resolved to Notion unique IDs; bad rows set aside with a reason.",
            "notion_hotels": "Hotels of one Notion export, typed (private: holds personal data).",
            "notion_extras": "Extras of one Notion export, typed (private: holds personal data).",
        }.items()
    },
    partitions_def=exports_partitions,
)
def notion_export(context: dg.AssetExecutionContext, lake: LakeResource):
    """Read ``raw/notion/<export_id>/`` (three CSVs or the Notion zip) into typed frames."""
    with step_guard():
        export_id = context.partition_key
        try:
            span = settings.mission_date_span()
            parsed = read_export(read_export_files(lake, export_id), export_id, years_back=span.years_back,
                                 years_ahead=span.years_ahead)
        except ExportError as exc:
            # One clear line in the UI instead of a bare traceback.
            raise dg.Failure(description=str(exc)) from exc
        # The erased people (an export taken before Notion was cleaned) go before anything is written downstream.
        frames, erased = suppress({"missions": parsed.missions, "hotels": parsed.hotels, "extras": parsed.extras},
                                  load_suppression(lake))
        for source, frame in frames.items():
            name = f"notion_{source}"
            yield dg.Output(
                frame,
                output_name=name,
                metadata=frame_metadata(
                    frame,
                    **reasons_metadata(frame),
                    source_file=dg.MetadataValue.text(parsed.files[source]),
                    nul_characters_removed=dg.MetadataValue.int(parsed.stats[source].nul_removed),
                    **({"overtime_texts_without_duration": dg.MetadataValue.int(int(frame["overtime_unparsed"].sum()))}
                       if source == "missions" else
                       {"erased_records": dg.MetadataValue.int(sum(e.source == source for e in erased.erased))}),
                ),
            )
