"""``mission-platform generate``: write a sample Notion export into the lake."""

from __future__ import annotations

import argparse
import datetime as dt
import sys

from mission_platform import settings
from mission_platform.resources import LakeResource, lake_from_env
from mission_platform.lake_layout import export_prefix
from mission_platform.sample_data.generator import build_export, write_export


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {value!r}") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mission-platform generate",
        description="Generate a realistic Notion export (missions, hotels, extras) into raw/notion/<export date>/.",
    )
    parser.add_argument("--out", help="lake URL or folder (default: MISSION_LAKE_URL, else ./data/lake)")
    parser.add_argument("--export-date", type=_date, default=None, help="the day the export is taken (default: today)")
    parser.add_argument("--weeks", type=int, default=104, help="weeks of history (default: 104)")
    parser.add_argument("--missions-per-week", type=float, default=110, help="average over the history (default: 110)")
    parser.add_argument("--hotels", type=int, default=100, help="hotels (default: 100)")
    parser.add_argument("--extras", type=int, default=300, help="extras (default: 300)")
    parser.add_argument("--seed", type=int, default=0, help="random seed: same options, same bytes (default: 0)")
    parser.add_argument("--mess", type=float, default=0.02,
                        help="share of messy records per file (default: 0.02; 0 turns the mess off)")
    parser.add_argument("--zip", action="store_true", help="write Notion's Export-<uuid>.zip instead of three CSVs")
    return parser


def generate_command(argv: list[str] | None = None) -> int:
    """Run ``generate`` with ``argv``; return the exit status (0 ok, 2 bad options)."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help or a usage error, already printed by argparse
        return int(exc.code or 0)
    lake = (LakeResource(url=args.out, s3_endpoint_url=settings.s3_endpoint_url(), s3_region=settings.s3_region())
            if args.out else lake_from_env())
    try:
        generated = build_export(
            args.export_date or dt.date.today(), weeks=args.weeks, missions_per_week=args.missions_per_week,
            hotels=args.hotels, extras=args.extras, seed=args.seed, mess=args.mess, as_zip=args.zip,
        )
    except ValueError as exc:
        print(f"mission-platform generate: {exc}", file=sys.stderr)
        return 2
    keys = write_export(lake, generated)
    bad = generated.injected.groupby("kind").size()
    print(f"export {generated.export_id}: {generated.missions:,} missions, {generated.hotels:,} hotels, "
          f"{generated.extras:,} extras")
    print(f"written to {lake.location(export_prefix(generated.export_id))}: " + ", ".join(k.rsplit("/", 1)[1] for k in keys))
    print(f"mess {args.mess:.1%}: {len(generated.messy):,} harmless messy records, "
          f"{len(generated.injected):,} bad records to be set aside"
          + (" (" + ", ".join(f"{kind} {count}" for kind, count in bad.items()) + ")" if len(bad) else ""))
    return 0
