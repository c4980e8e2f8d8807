"""Warehouse assets: the core, private and reporting tables and the ops views published atomically; rejected rows
per export.

The publish writes the core tables and rebuilds the reporting tables in one
transaction, so one step materialises them all (groups ``warehouse`` and
``private``: a selection must take all of a step's assets); the ``private``
tables (real names and contacts, from the parsed frames) and the ``ops`` tables
built from them are in the same transaction, under their own asset keys; only ``reporting.predictions``, which reads
the forecast, is rebuilt again by the reporting step after the forecast.

The core tables always hold the most recent export by ``export_id`` that has
been anonymised, whatever export the run was started for: "last partition"
in Dagster means last added, and an older export re-uploaded or rerun later
must never roll the warehouse back.
"""

import dagster as dg
import pandas as pd
from psycopg import sql

from mission_platform.anonymise.resources import AnonymisationResource
from mission_platform.asset_keys import ANONYMISED_ASSETS, NOTION_ASSETS
from mission_platform.columns import reason_kind
from mission_platform.erasure.lake import clear_pending, pending_exports
from mission_platform.lake_io import complete_exports, read_frames, read_manifest
from mission_platform.lake_layout import ANONYMISED, PARSED, frame_key
from mission_platform.metadata import table_metadata
from mission_platform.partitions import exports_partitions
from mission_platform.public_demo import MoneyScale
from mission_platform.resources import LakeResource
from mission_platform.steps import step_guard
from mission_platform.warehouse import (
    ddl,
    publish,
    queries,
    reporting,
    transform,
    writes,
)
from mission_platform.warehouse.resources import TariffsResource, WarehouseResource
from mission_platform.warehouse.tables import PRIVATE, PRIVATE_TABLES, PUBLISHED, TABLE_OF_SOURCE, TABLES


def _latest_anonymised(lake: LakeResource) -> str:
    exports = complete_exports(lake, ANONYMISED)
    if not exports:
        raise dg.Failure(description=f"no anonymised export in the lake ({lake.location(ANONYMISED)}): "
                         "materialise the anonymised assets first")
    return exports[-1]


def _check_specs() -> list[dg.AssetCheckSpec]:
    specs = [
        dg.AssetCheckSpec("primary_key_unique", asset=table, blocking=True, description=f"core.{table}: no repeated key.")
        for table in PUBLISHED
    ]
    specs.append(dg.AssetCheckSpec(
        "relations_resolve", asset="missions", blocking=True,
        description="Every hotel, extra and software reference points to an existing row.",
    ))
    specs += [
        dg.AssetCheckSpec(
            "nothing_lost", asset=table, blocking=True,
            description=f"Rows read from the {source} file = rows in core.{table} + its rows in core.rejected_rows "
            "(+ rows the public-demo profile sampled out).",
        )
        for source, table in TABLE_OF_SOURCE.items()
    ]
    specs.append(dg.AssetCheckSpec(
        "private_not_readable", asset=[PRIVATE, "extra"], blocking=True,
        description="Neither PUBLIC, looker_reader nor ops_reader holds any privilege on schema private or its "
        "tables, nor PUBLIC or looker_reader on schema ops or its tables.",
    ))
    specs.append(dg.AssetCheckSpec(
        "row_counts_not_collapsing", asset="missions",
        description="Warns when a core table lost more than MISSION_MAX_ROW_DROP_SHARE (default 20 %) of its rows "
        "against the previous publish.",
    ))
    return specs


def published_state_checks(lake: LakeResource, conn, export_id: str, *, public_demo: bool, max_drop_share: float):
    """The checks on what is now published: keys, relations, conservation per file, who may read private, drops."""
    held = reporting.refused_privileges_held(conn)
    yield dg.AssetCheckResult(
        asset_key=[PRIVATE, "extra"], check_name="private_not_readable", passed=not held,
        metadata={"privileges_held": dg.MetadataValue.json(held)},
        description=None if not held else "revoke these: " + "; ".join(held),
    )
    for table in PUBLISHED:
        duplicates = int(queries.duplicate_keys(conn, table))
        yield dg.AssetCheckResult(asset_key=table, check_name="primary_key_unique", passed=duplicates == 0,
                                  metadata={"duplicate_keys": dg.MetadataValue.int(duplicates)})
    orphans = queries.orphan_references(conn)
    yield dg.AssetCheckResult(
        asset_key="missions", check_name="relations_resolve", passed=sum(orphans.values()) == 0,
        metadata={name: dg.MetadataValue.int(int(n)) for name, n in orphans.items()},
    )
    read = {s: lake.read_parquet_row_count(frame_key(PARSED, export_id, s)) for s in TABLE_OF_SOURCE}
    anonymised = {s: lake.read_parquet_row_count(frame_key(ANONYMISED, export_id, s)) for s in TABLE_OF_SOURCE}
    report = queries.conservation(conn, export_id, anonymised).set_index("source")
    for source, table in TABLE_OF_SOURCE.items():
        row = report.loc[source]
        sampled_out = read[source] - anonymised[source]
        yield dg.AssetCheckResult(
            asset_key=table, check_name="nothing_lost",
            passed=bool(pd.notna(row["ok"]) and row["ok"]) and (sampled_out == 0 or public_demo),
            metadata={
                "export_id": dg.MetadataValue.text(export_id),
                "rows_read": dg.MetadataValue.int(int(read[source])),
                "rows_loaded": dg.MetadataValue.int(int(row["loaded"])),
                "rows_rejected": dg.MetadataValue.int(int(row["rejected"])),
                "rows_sampled_out": dg.MetadataValue.int(int(sampled_out)),
            },
        )
    previous, current = queries.last_two_publishes(conn)
    dropped = queries.row_count_drop(previous, current, max_drop_share) if previous else []
    yield dg.AssetCheckResult(
        asset_key="missions", check_name="row_counts_not_collapsing", passed=not dropped,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "tables_dropped": dg.MetadataValue.json(dropped),
            "previous": dg.MetadataValue.json(previous or {}),
            "current": dg.MetadataValue.json(current or {}),
            "max_drop_share": dg.MetadataValue.float(max_drop_share),
        },
    )


def _read_key(read: str, schema: str) -> dg.AssetKey | None:
    """The asset a relation's read stands for (core.load_history is written by the publish itself)."""
    owner, _, name = read.rpartition(".")
    if owner == "core":
        return None if name == "load_history" else dg.AssetKey(name)
    return dg.AssetKey([owner or schema, name])


_READ_BY = {reporting.REPORTING: "read by Looker Studio through looker_reader",
            reporting.OPS: "real names and contacts, read by operations through ops_reader only"}


def _reporting_spec(relation: reporting.ReportingRelation, group_name: str,
                    schema: str = reporting.REPORTING) -> dg.AssetSpec:
    if reporting.RELATION_SETS[schema].views:
        built = "A view, created again with each publish, in its transaction"
    elif relation.after_forecast:
        built = "A table rebuilt after the forecast"
    else:
        built = "A table rebuilt with each publish, in its transaction"
    return dg.AssetSpec(
        [schema, relation.name],
        group_name=group_name,
        kinds={"postgres"},
        deps=[key for key in (_read_key(r, schema) for r in relation.reads) if key is not None],
        description=f"{schema}.{relation.name}: {relation.description} {built}; {_READ_BY[schema]}.",
        metadata={"dagster/table_name": f"{schema}.{relation.name}"},
    )


def _reporting_results(warehouse: WarehouseResource, names: tuple[str, ...], schema: str = reporting.REPORTING,
                       **metadata):
    """One materialisation per reporting (or ops) table: its rows and columns as they are now (never values)."""
    columns = warehouse.query_frame(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = %s ORDER BY table_name, ordinal_position", (schema,)
    )
    # Every count in one query: a connection per relation cost more than the counts.
    counts = warehouse.query_frame(sql.SQL(" UNION ALL ").join(
        sql.SQL("SELECT {} AS relation, count(*) AS n FROM {}").format(sql.Literal(relation),
                                                                       sql.Identifier(schema, relation))
        for relation in names)).set_index("relation")["n"]
    for relation in names:
        count = counts[relation]
        own = columns[columns["table_name"] == relation]
        yield dg.MaterializeResult(
            asset_key=[schema, relation],
            metadata={
                **metadata,
                "dagster/row_count": dg.MetadataValue.int(int(count)),
                "dagster/column_schema": dg.TableSchema(
                    columns=[dg.TableColumn(name=c, type=t) for c, t in zip(own["column_name"], own["data_type"])]
                ),
            },
        )


PUBLISHED_REPORTING = tuple(r for r in reporting.REPORTING_RELATIONS if r not in reporting.AFTER_FORECAST)


@dg.multi_asset(
    specs=[
        *(
            dg.AssetSpec(
                table,
                group_name="warehouse",
                kinds={"postgres"},
                description=f"core.{table}: the most recent export, published atomically.",
                deps=[dg.AssetDep(asset, partition_mapping=dg.LastPartitionMapping())
                      for asset in ANONYMISED_ASSETS.values()],
                metadata={"dagster/table_name": f"core.{table}"},
            )
            for table in PUBLISHED
        ),
        *(_reporting_spec(reporting.BY_NAME[name], "warehouse") for name in PUBLISHED_REPORTING),
        *(
            dg.AssetSpec(
                [PRIVATE, name],
                group_name="private",
                kinds={"postgres"},
                description=f"{PRIVATE}.{name}: {private.table.description} Loaded from the parsed frames of the "
                            "published export, in the publishing transaction; read by no reader role.",
                deps=[dg.AssetDep(NOTION_ASSETS[private.source.source], partition_mapping=dg.LastPartitionMapping())],
                metadata={"dagster/table_name": f"{PRIVATE}.{name}"},
            )
            for name, private in PRIVATE_TABLES.items()
        ),
        *(_reporting_spec(relation, "private", reporting.OPS) for relation in reporting.OPS_SET.relations),
    ],
    check_specs=_check_specs(),
    pool="warehouse",
)
def core_tables(context: dg.AssetExecutionContext, lake: LakeResource, warehouse: WarehouseResource,
                tariffs: TariffsResource, anonymisation: AnonymisationResource):
    """Transform the newest anonymised export into the core tables, COPY them into staging, publish in one transaction.

    The export's rejected rows are replaced and the reporting tables rebuilt in
    the same transaction, so the published state always adds up; the checks then
    read what was published.
    """
    with step_guard(warehouse, tariffs, anonymisation):
        # Every setting is read before anything is published.
        rates, profile, max_drop_share = tariffs.tariffs(), anonymisation.profile(), warehouse.row_drop_share()
        export_id = _latest_anonymised(lake)
        scale = MoneyScale(key=anonymisation.anonymisation_key() if profile.enabled else b"", profile=profile)
        if read_manifest(lake, ANONYMISED, export_id)["public_demo"] != profile.enabled:
            raise dg.Failure(description=(
                f"export {export_id} was anonymised with the public-demo profile "
                f"{'on' if not profile.enabled else 'off'}, and it is {'on' if profile.enabled else 'off'} now: "
                f"rerun the anonymised assets for {export_id} before publishing"))
        # Arrow strings: read in a third of the time and memory; the tables come out the same.
        frames = read_frames(lake, ANONYMISED, export_id, arrow_strings=True)
        tables = transform.build_core_tables(
            frames["missions"], frames["hotels"], frames["extras"], export_id=export_id, tariffs=rates, scale=scale,
        )
        rejected = transform.build_rejected_rows(frames["missions"], frames["hotels"], frames["extras"], export_id=export_id)
        del frames   # what the tables do not share of the anonymised frames is freed before the publish
        # Exports an erasure rewrote: their rejected rows change with the rest, in the same transaction.
        pending = [e for e in pending_exports(lake) if e != export_id]
        complete = set(complete_exports(lake, ANONYMISED)) if pending else set()   # listed once, when needed
        erased_exports = [e for e in pending if e in complete]
        earlier_rejected = {e: transform.build_rejected_rows(**read_frames(lake, ANONYMISED, e, arrow_strings=True),
                                                             export_id=e)
                            for e in erased_exports}
        # Under the public-demo profile the private tables stay empty: a demo shows no real person's details.
        private = None if profile.enabled else transform.build_private_tables(
            read_frames(lake, PARSED, export_id, transform.PRIVATE_SOURCES), export_id=export_id)
        result = publish.publish_core_tables(warehouse, tables, export_id=export_id, rejected=rejected, private=private,
                                             earlier_rejected=earlier_rejected)
        if result.published:
            clear_pending(lake, [*erased_exports, export_id])
        if rates.is_sample:
            context.log.warning("amounts computed with the demo's SAMPLE tariffs: set OVERTIME_RATE, EXTRA_HOURLY_PAY, "
                                "EXTRA_HOURLY_PAY_URGENT and VAT_RATE for real figures")
        for table in PUBLISHED:
            yield dg.MaterializeResult(
                asset_key=table,
                metadata=table_metadata(
                    TABLES[table], len(getattr(tables, table)),
                    export_id=dg.MetadataValue.text(export_id),
                    published=dg.MetadataValue.bool(result.published),
                    sample_tariffs=dg.MetadataValue.bool(rates.is_sample),
                ),
            )
        yield from _reporting_results(
            warehouse, PUBLISHED_REPORTING, export_id=dg.MetadataValue.text(export_id),
            published=dg.MetadataValue.bool(result.published),
            build_seconds=dg.MetadataValue.float(round(result.seconds.get("reporting", 0.0), 3)),
        )
        for name, private_table in PRIVATE_TABLES.items():
            yield dg.MaterializeResult(
                asset_key=[PRIVATE, name],
                metadata=table_metadata(
                    private_table.table, result.private_rows.get(name, 0),
                    export_id=dg.MetadataValue.text(export_id),
                    published=dg.MetadataValue.bool(result.published),
                    public_demo=dg.MetadataValue.bool(profile.enabled),
                ),
            )
        yield from _reporting_results(
            warehouse, reporting.OPS_RELATIONS, reporting.OPS, export_id=dg.MetadataValue.text(export_id),
            published=dg.MetadataValue.bool(result.published),
            build_seconds=dg.MetadataValue.float(round(result.seconds.get("ops", 0.0), 3)),
        )
        with warehouse.connect() as conn:
            yield from published_state_checks(lake, conn, queries.published_export(conn), public_demo=profile.enabled,
                                              max_drop_share=max_drop_share)


@dg.asset(
    group_name="warehouse",
    kinds={"postgres"},
    partitions_def=exports_partitions,
    deps=list(ANONYMISED_ASSETS.values()),
    pool="warehouse",
    description="core.rejected_rows for this export: every row set aside, anonymised, with its reason (a rerun replaces them).",
    metadata={"dagster/table_name": "core.rejected_rows"},
)
def rejected_rows(context: dg.AssetExecutionContext, lake: LakeResource, warehouse: WarehouseResource) -> dg.MaterializeResult:
    with step_guard(warehouse):
        export_id = context.partition_key
        with warehouse.connect() as conn:
            ddl.ensure_schema(conn)
            published = queries.published_export(conn) == export_id
        if published:
            # The publish replaced this export's rows with the core tables, in its transaction: they are
            # described as stored rather than built again from a million anonymised missions.
            rows = warehouse.query_frame("SELECT source, reason FROM core.rejected_rows WHERE export_id = %s",
                                         (export_id,))
        else:
            frames = read_frames(lake, ANONYMISED, export_id, arrow_strings=True)
            rows = transform.build_rejected_rows(frames["missions"], frames["hotels"], frames["extras"],
                                                 export_id=export_id)
            with warehouse.connect() as conn:
                writes.replace_rejected_rows(conn, export_id, rows)
        return dg.MaterializeResult(
            metadata=table_metadata(
                TABLES["rejected_rows"], len(rows),
                by_source=dg.MetadataValue.json({str(k): int(v) for k, v in rows.groupby("source").size().items()}),
                by_reason=dg.MetadataValue.json(
                    {str(k): int(v) for k, v in reason_kind(rows["reason"]).value_counts().items()}
                ),
            )
        )


# -- reporting -----------------------------------------------------------------------------

@dg.multi_asset(
    specs=[_reporting_spec(reporting.BY_NAME[name], "reporting") for name in reporting.AFTER_FORECAST],
    pool="warehouse",
)
def reporting_relations(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    """Rebuild the reporting tables that read the forecast, then (re)state the read-only roles."""
    with step_guard(warehouse):
        with warehouse.connect() as conn:
            ddl.ensure_schema(conn)
            seconds = ddl.rebuild_reporting(conn, reporting.AFTER_FORECAST)
            for role in reporting.READER_ROLES:
                reporting.ensure_reader_role(conn, role, password=warehouse.reader_password(role))
        yield from _reporting_results(
            warehouse, reporting.AFTER_FORECAST,
            build_seconds=dg.MetadataValue.float(round(sum(seconds.values()), 3)),
        )
