"""Configuration read from the environment at run time.

Secrets (the anonymisation key, the company's tariffs) are read here, inside
the process that needs them, and never pass through Dagster run config or
metadata, where the UI would show them.

``MISSION_ENV=production`` makes every secret mandatory; the default
``demo`` runs on labelled sample tariffs and a key file under the data folder.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


class ConfigurationError(RuntimeError):
    """A setting is missing or malformed; the message says which and how to fix it."""


def is_production() -> bool:
    return os.environ.get("MISSION_ENV", "demo").strip().lower() == "production"


def data_dir() -> Path:
    """Where the demo keeps its lake, embedded warehouse, key and Dagster home."""
    return Path(os.environ.get("MISSION_DATA_DIR", "./data")).expanduser().resolve()


def _float_env(name: str, default: float | None) -> float | None:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return float(raw.replace(",", "."))
    except ValueError:
        raise ConfigurationError(f"{name} must be a number, got {raw!r}") from None


def int_env(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be an integer, got {raw!r}") from None


def _bool_env(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Tariffs:
    """The company's confidential tariffs (see docs/WAREHOUSE.md, business rules)."""

    overtime_rate: float
    extra_hourly_pay: float
    extra_hourly_pay_urgent: float
    vat_rate: float
    is_sample: bool  # True when the demo's sample values stand in for the real ones


# Labelled sample values: the demo's stand-ins, not the company's tariffs.
SAMPLE_TARIFFS = Tariffs(
    overtime_rate=40.0, extra_hourly_pay=15.0, extra_hourly_pay_urgent=18.0, vat_rate=0.20, is_sample=True
)
TARIFF_VARIABLES = ("OVERTIME_RATE", "EXTRA_HOURLY_PAY", "EXTRA_HOURLY_PAY_URGENT", "VAT_RATE")


def tariffs_from_env() -> Tariffs:
    values = {name: _float_env(name, None) for name in TARIFF_VARIABLES}
    missing = [name for name, v in values.items() if v is None]
    if not missing:
        return Tariffs(
            overtime_rate=values["OVERTIME_RATE"],
            extra_hourly_pay=values["EXTRA_HOURLY_PAY"],
            extra_hourly_pay_urgent=values["EXTRA_HOURLY_PAY_URGENT"],
            vat_rate=values["VAT_RATE"],
            is_sample=False,
        )
    if is_production():
        raise ConfigurationError(
            f"the tariffs {', '.join(missing)} are not set; production (MISSION_ENV=production) requires "
            "all of OVERTIME_RATE, EXTRA_HOURLY_PAY, EXTRA_HOURLY_PAY_URGENT and VAT_RATE"
        )
    if len(missing) < len(TARIFF_VARIABLES):
        raise ConfigurationError(
            f"only some tariffs are set ({', '.join(missing)} missing): set all four or none (demo sample values)"
        )
    return SAMPLE_TARIFFS


@dataclass(frozen=True)
class DemoProfile:
    """The public-demo profile: a seeded sample of people and scaled money."""

    enabled: bool
    sample_fraction: float = 1.0
    hotel_coeff: float = 1.0
    extra_coeff: float = 1.0
    seed: int = 0


def demo_profile_from_env() -> DemoProfile:
    if not _bool_env("MISSION_PUBLIC_DEMO"):
        return DemoProfile(enabled=False)
    names = ("MISSION_DEMO_SAMPLE_FRACTION", "MISSION_DEMO_HOTEL_COEFF", "MISSION_DEMO_EXTRA_COEFF")
    values = {name: _float_env(name, None) for name in names}
    missing = [name for name, v in values.items() if v is None]
    if missing:
        # The coefficients are secret: no default may stand in for them.
        raise ConfigurationError(f"MISSION_PUBLIC_DEMO is on but {', '.join(missing)} is not set")
    fraction = values["MISSION_DEMO_SAMPLE_FRACTION"]
    if not 0 < fraction <= 1:
        raise ConfigurationError(f"MISSION_DEMO_SAMPLE_FRACTION must be in (0, 1], got {fraction}")
    for name in names[1:]:
        if values[name] <= 0:
            raise ConfigurationError(f"{name} must be positive")
    return DemoProfile(
        enabled=True,
        sample_fraction=fraction,
        hotel_coeff=values["MISSION_DEMO_HOTEL_COEFF"],
        extra_coeff=values["MISSION_DEMO_EXTRA_COEFF"],
        seed=int_env("MISSION_DEMO_SEED", 0),
    )


def key_file() -> Path:
    return data_dir() / "anonymisation.key"


def anonymisation_key() -> bytes:
    """The pseudonymisation secret: ``ANONYMISATION_KEY``, or in the demo the key file.

    Never creates the key: steps may run in parallel or on other machines, so
    the command line creates it once before any run (``ensure_demo_key``).
    """
    raw = os.environ.get("ANONYMISATION_KEY", "").strip()
    if raw:
        if len(raw) < 16:
            raise ConfigurationError("ANONYMISATION_KEY is too short: use at least 16 characters (32 random bytes in hex is best)")
        return raw.encode("utf-8")
    if not is_production() and key_file().exists():
        return key_file().read_text().strip().encode("utf-8")
    raise ConfigurationError(
        "ANONYMISATION_KEY is not set"
        + ("" if is_production() else f" and no demo key exists at {key_file()}")
        + ": set it (e.g. `python -c 'import secrets; print(secrets.token_hex(32))'`)"
        + ("" if is_production() else " or run `mission-platform demo` once to create the demo key")
    )


def ensure_demo_key() -> Path | None:
    """Create the demo key file once (owner-only) when no key is configured.

    Returns the path when it was created now, None when nothing was needed.
    """
    if os.environ.get("ANONYMISATION_KEY", "").strip() or is_production():
        return None
    path = key_file()
    if path.exists():
        return None
    import secrets

    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_hex(32) + "\n")
    return path


@dataclass(frozen=True)
class ReportingSettings:
    """How the reporting tables are built and read (docs/WAREHOUSE.md, reporting)."""

    candidates_per_mission: int  # extras_candidats keeps the best N extras of each mission to assign
    reader_statement_timeout_seconds: int  # the read-only role's statement_timeout (0: none)


def reporting_settings() -> ReportingSettings:
    candidates = int_env("MISSION_CANDIDATES_PER_MISSION", 20)
    timeout = int_env("MISSION_READER_STATEMENT_TIMEOUT_SECONDS", 60)
    if candidates < 1:
        raise ConfigurationError(f"MISSION_CANDIDATES_PER_MISSION must be at least 1, got {candidates}")
    if timeout < 0:
        raise ConfigurationError(f"MISSION_READER_STATEMENT_TIMEOUT_SECONDS must be 0 (no limit) or more, got {timeout}")
    return ReportingSettings(candidates_per_mission=candidates, reader_statement_timeout_seconds=timeout)
