"""Anonymised assets: the shareable data set, written to ``anonymised/<export_id>/``.

The frames are scanned for leaks before they are returned, so a frame holding
personal data is never written to the shareable area; the blocking checks
below scan the written Parquet files again, and stop everything downstream
when they find anything.
"""


import dagster as dg
import pandas as pd

from mission_platform.anonymise import anonymise_export, find_leaks
from mission_platform.lake_io import frame_key
from mission_platform.freshness import layer_freshness
from mission_platform.metadata import frame_metadata, reasons_metadata
from mission_platform.partitions import exports_partitions
from mission_platform.retry import retry_step_on_transient_faults
from mission_platform.resources import LakeResource
from mission_platform.schemas import SOURCES
from mission_platform.settings import ConfigurationError, anonymisation_key, demo_profile_from_env

ANONYMISED_ASSETS = {source: f"anonymised_{source}" for source in SOURCES}


def leak_metadata(report) -> dict[str, object]:
    """Counts and column names only: never the personal values themselves."""
    return {
        "leaks": dg.MetadataValue.int(int(report.total)),
        "leaks_by_column": dg.MetadataValue.json({f"{s}.{c}": int(n) for (s, c), n in report.by_column.items()}),
    }


@dg.multi_asset(
    outs={
        name: dg.AssetOut(
            group_name="anonymised",
            io_manager_key="anonymised_io_manager",
            kinds={"pandas", "parquet"},
            freshness_policy=layer_freshness(),
            description=f"{source.capitalize()} of one export with stable keyed pseudonyms and contact details removed: the shareable data set.",
        )
        for source, name in ANONYMISED_ASSETS.items()
    },
    ins={f"notion_{source}": dg.AssetIn(key=f"notion_{source}") for source in SOURCES},
    partitions_def=exports_partitions,
)
def anonymised_export(
    context: dg.AssetExecutionContext,
    notion_missions: pd.DataFrame,
    notion_hotels: pd.DataFrame,
    notion_extras: pd.DataFrame,
):
    with retry_step_on_transient_faults():
        try:
            key = anonymisation_key()
            profile = demo_profile_from_env()
        except ConfigurationError as exc:
            raise dg.Failure(description=str(exc)) from exc
        raw = {"missions": notion_missions, "hotels": notion_hotels, "extras": notion_extras}
        result = anonymise_export(notion_missions, notion_hotels, notion_extras, key=key, profile=profile)
        frames = {"missions": result.missions, "hotels": result.hotels, "extras": result.extras}
        report = find_leaks(raw, frames)
        if report.total:
            raise dg.Failure(
                description=f"export {context.partition_key}: anonymisation left {report.total} personal values; nothing was written",
                metadata=leak_metadata(report),
            )
        for source, frame in frames.items():
            yield dg.Output(
                frame,
                output_name=ANONYMISED_ASSETS[source],
                metadata=frame_metadata(
                    frame,
                    **reasons_metadata(frame),
                    rows_read=dg.MetadataValue.int(len(raw[source])),
                    public_demo_profile=dg.MetadataValue.bool(profile.enabled),
                ),
            )


def _leak_check(source: str):
    @dg.asset_check(
        asset=ANONYMISED_ASSETS[source],
        name="no_personal_data",
        blocking=True,
        description="No original name, address, phone, e-mail or Notion page id in the written Parquet file, "
        "as a whole cell or as a run of whole words.",
        additional_ins={f"notion_{s}": dg.AssetIn(key=f"notion_{s}") for s in SOURCES},
        partitions_def=exports_partitions,
    )
    def check(
        context: dg.AssetCheckExecutionContext,
        lake: LakeResource,
        notion_missions: pd.DataFrame,
        notion_hotels: pd.DataFrame,
        notion_extras: pd.DataFrame,
    ) -> dg.AssetCheckResult:
        written = lake.read_parquet(frame_key("anonymised", context.partition_key, source))
        raw = {"missions": notion_missions, "hotels": notion_hotels, "extras": notion_extras}
        report = find_leaks(raw, {source: written})
        return dg.AssetCheckResult(
            passed=report.total == 0,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata=leak_metadata(report),
        )

    return check


def _row_count_check(source: str):
    @dg.asset_check(
        asset=ANONYMISED_ASSETS[source],
        name="rows_preserved",
        blocking=True,
        description="With the public-demo profile off, anonymisation drops no row.",
        additional_ins={"raw": dg.AssetIn(key=f"notion_{source}")},
        partitions_def=exports_partitions,
    )
    def check(context: dg.AssetCheckExecutionContext, lake: LakeResource, raw: pd.DataFrame) -> dg.AssetCheckResult:
        written = lake.read_parquet(frame_key("anonymised", context.partition_key, source))
        profile_on = demo_profile_from_env().enabled
        return dg.AssetCheckResult(
            passed=profile_on or len(written) == len(raw),
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={
                "rows_read": dg.MetadataValue.int(len(raw)),
                "rows_anonymised": dg.MetadataValue.int(len(written)),
                "sampled_out_by_public_demo": dg.MetadataValue.int(len(raw) - len(written) if profile_on else 0),
            },
        )

    return check


anonymised_checks = [make(source) for source in SOURCES for make in (_leak_check, _row_count_check)]
