"""Anonymised assets: the shareable data set, written to ``anonymised/<export_id>/``.

The frames are scanned for leaks, then the exact Parquet bytes are checked
(no personal data, no row lost) before anything reaches the shareable area;
the step reads the parsed frames from the lake itself rather than taking them
as inputs, so that it can free them once anonymised (Dagster holds a step's
inputs until it ends: 1.6 GB at 1M missions);
a folder is published downstream only once its manifest is written, last,
after every check passed. A failing blocking check also stops everything
downstream in the run.
"""

import dagster as dg
import pandas as pd

from mission_platform.anonymise import LeakChecker, anonymise_export
from mission_platform.anonymise.resources import AnonymisationResource
from mission_platform.asset_keys import ANONYMISED_ASSETS, NOTION_ASSETS
from mission_platform.lake_io import read_frames, write_manifest
from mission_platform.lake_layout import ANONYMISED, PARSED, frame_key, manifest_key
from mission_platform.metadata import frame_metadata, reasons_metadata
from mission_platform.partitions import exports_partitions
from mission_platform.resources import LakeResource, parquet_bytes
from mission_platform.steps import step_guard


def leak_metadata(report) -> dict[str, object]:
    """Counts and column names only: never the personal values themselves."""
    return {
        "leaks": dg.MetadataValue.int(int(report.total)),
        "leaks_by_column": dg.MetadataValue.json({f"{s}.{c}": int(n) for (s, c), n in report.by_column.items()}),
        "cells_checked": dg.MetadataValue.int(int(report.cells_checked)),
    }


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            name,
            group_name="anonymised",
            kinds={"pandas", "parquet"},
            deps=[NOTION_ASSETS[source]],   # read from the lake in the step
            description=f"{source.capitalize()} of one export with stable keyed pseudonyms and contact details removed: "
            "the shareable data set.",
            metadata={"lake_path": frame_key(ANONYMISED, "<export_id>", source)},
        )
        for source, name in ANONYMISED_ASSETS.items()
    ],
    check_specs=[
        spec
        for name in ANONYMISED_ASSETS.values()
        for spec in (
            dg.AssetCheckSpec(
                "no_personal_data", asset=name, blocking=True,
                description="No original name, address, phone, e-mail or Notion page id in the written Parquet file "
                "(set-aside rows included), as a whole cell or as a run of whole words.",
            ),
            dg.AssetCheckSpec(
                "rows_preserved", asset=name, blocking=True,
                description="With the public-demo profile off, anonymisation drops no row.",
            ),
        )
    ],
    partitions_def=exports_partitions,
)
def anonymised_export(
    context: dg.AssetExecutionContext,
    lake: LakeResource,
    anonymisation: AnonymisationResource,
):
    with step_guard(anonymisation):
        export_id = context.partition_key
        key = anonymisation.anonymisation_key()
        profile = anonymisation.profile()
        # The anonymiser and the leak checker read the strings as Arrow arrays: they need no Python object per cell.
        raw = read_frames(lake, PARSED, export_id, arrow_strings=True)
        anonymised = anonymise_export(raw["missions"], raw["hotels"], raw["extras"], key=key, profile=profile)
        frames = anonymised.frames()
        # The personal values the anonymiser found in the raw frames, searched for again in what it wrote.
        checker = LeakChecker(anonymised.index)
        rows_read = {source: len(frame) for source, frame in raw.items()}
        del raw, anonymised   # the checker keeps the originals it searches for, not the frames
        before_writing = checker.check_frames(frames)
        if before_writing.total:
            raise dg.Failure(
                description=f"export {export_id}: anonymisation left {before_writing}; nothing was written",
                metadata=leak_metadata(before_writing),
            )
        # The exact bytes that will be shared are checked before they reach the lake.
        written = {source: parquet_bytes(frame) for source, frame in frames.items()}
        checks = []
        for source, frame in frames.items():
            name = ANONYMISED_ASSETS[source]
            report = checker.check_parquet({source: written[source]})
            sampled_out = rows_read[source] - len(frame)
            checks += [
                dg.AssetCheckResult(asset_key=name, check_name="no_personal_data", passed=report.total == 0,
                                    metadata=leak_metadata(report)),
                dg.AssetCheckResult(
                    asset_key=name, check_name="rows_preserved", passed=sampled_out == 0 or profile.enabled,
                    metadata={
                        "rows_read": dg.MetadataValue.int(rows_read[source]),
                        "rows_anonymised": dg.MetadataValue.int(len(frame)),
                        "sampled_out_by_public_demo": dg.MetadataValue.int(sampled_out),
                    },
                ),
            ]
        failed = [f"{c.asset_key.to_user_string()}:{c.check_name}" for c in checks if not c.passed]
        # A folder without its manifest is never published: drop it before rewriting,
        # write it last, and only when every check passed.
        lake.delete(manifest_key(ANONYMISED, export_id))
        if not failed:
            for source, data in written.items():
                lake.write_bytes(frame_key(ANONYMISED, export_id, source), data)
            write_manifest(lake, ANONYMISED, export_id, {
                "export_id": export_id,
                "public_demo": profile.enabled,
                "rows": {source: len(frame) for source, frame in frames.items()},
            })
        for source, frame in frames.items():
            yield dg.MaterializeResult(
                asset_key=ANONYMISED_ASSETS[source],
                metadata=frame_metadata(
                    frame,
                    **reasons_metadata(frame),
                    rows_read=dg.MetadataValue.int(rows_read[source]),
                    public_demo_profile=dg.MetadataValue.bool(profile.enabled),
                    written=dg.MetadataValue.bool(not failed),
                    lake_path=dg.MetadataValue.path(lake.location(frame_key(ANONYMISED, export_id, source))),
                ),
            )
        yield from checks
