"""Every setting the platform reads from the environment, parsed here and nowhere else.

One rule for all of them:

- a blank value means "unset" (the default applies), as in a copied ``.env.example``;
- a number may be written with a decimal comma (``0,2``);
- a bad value raises ``ConfigurationError`` naming the variable, the value (hidden for a
  secret) and what is expected: the command line prints it as one line (exit code 2) and a
  Dagster step fails with it at its start (``mission_platform.steps``), before anything is written.

``check_environment()`` parses every setting at once; the command line calls it before any
run, every step calls it before its work. The resources take their settings as fields
(``dg.EnvVar``), parsed by the same functions (``tariffs``, ``demo_profile``, ...).

Secrets (the anonymisation key, the tariffs, the demo coefficients, passwords) are read in the
process that needs them, never enter Dagster run config or metadata, and are never printed.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping, Optional
from urllib.parse import parse_qsl, urlsplit


class ConfigurationError(RuntimeError):
    """A setting is missing or malformed; the message says which, and what is expected."""


# -- reading and parsing one value -----------------------------------------------------------------

def raw(name: str, environ: Mapping[str, str] | None = None) -> Optional[str]:
    """The variable's text without surrounding spaces; None when unset or blank."""
    value = (os.environ if environ is None else environ).get(name)
    if value is None or not value.strip():
        return None
    return value.strip()


SECRETS = frozenset({
    "ANONYMISATION_KEY", "OVERTIME_RATE", "EXTRA_HOURLY_PAY", "EXTRA_HOURLY_PAY_URGENT", "VAT_RATE",
    "MISSION_DEMO_HOTEL_COEFF", "MISSION_DEMO_EXTRA_COEFF", "LOOKER_READER_PASSWORD", "OPS_READER_PASSWORD",
})


def _refuse(name: str, value: str, expected: str) -> ConfigurationError:
    shown = "(a secret: value not shown)" if name in SECRETS else f"is {value!r}"
    return ConfigurationError(f"{name} {shown}: expected {expected}")


def number(name: str, value: Optional[str], default: Optional[float] = None, *, minimum: float = 0.0,
           above: bool = False, maximum: Optional[float] = None, unit: str = "a number") -> Optional[float]:
    """A decimal number (``.`` or ``,``) at or above ``minimum`` (strictly above when ``above``)."""
    if value is None or not value.strip():
        return default
    bound = f"above {minimum:g}" if above else f"{minimum:g} or more"
    if maximum is not None:
        bound += f" and at most {maximum:g}"
    expected = f"{unit}, {bound} (a decimal comma is fine)"
    text = value.strip()
    if not re.fullmatch(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?", text):
        raise _refuse(name, text, expected)
    parsed = float(text.replace(",", "."))
    if parsed < minimum or (above and parsed == minimum) or (maximum is not None and parsed > maximum):
        raise _refuse(name, text, expected)
    return parsed


def count(name: str, value: Optional[str], default: int, *, minimum: int = 1, unit: str = "a whole number") -> int:
    """A whole number at or above ``minimum`` (1 unless said otherwise)."""
    if value is None or not value.strip():
        return default
    text = value.strip()
    if not re.fullmatch(r"[+-]?\d+", text) or int(text) < minimum:
        raise _refuse(name, text, f"{unit}, {minimum} or more")
    return int(text)


def env_count(name: str, default: int, **bounds) -> int:
    """The variable ``name`` as a whole number (see ``count``), ``default`` when unset or blank."""
    return count(name, raw(name), default, **bounds)


TRUE_WORDS, FALSE_WORDS = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def boolean(name: str, value: Optional[str], default: bool = False) -> bool:
    """on/off, true/false, yes/no, 1/0; any other word is refused (a typo must not turn a profile off)."""
    if value is None or not value.strip():
        return default
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise _refuse(name, value.strip(), f"one of {', '.join(TRUE_WORDS + FALSE_WORDS)}")


def choice(name: str, value: Optional[str], default: str, choices: tuple[str, ...]) -> str:
    if value is None or not value.strip():
        return default
    word = value.strip().lower()
    if word not in choices:
        raise _refuse(name, value.strip(), f"one of {', '.join(choices)}")
    return word


# -- profiles and folders ---------------------------------------------------------------------------

ENVIRONMENTS = ("demo", "production")


def environment_named(value: Optional[str]) -> str:
    return choice("MISSION_ENV", value, "demo", ENVIRONMENTS)


def environment() -> str:
    return environment_named(raw("MISSION_ENV"))


def is_production() -> bool:
    return environment() == "production"


def data_dir() -> Path:
    """Where the demo keeps its lake, embedded warehouse, key and Dagster home (``MISSION_DATA_DIR``)."""
    return Path(raw("MISSION_DATA_DIR") or "./data").expanduser().resolve()


def dagster_home() -> Path:
    """``DAGSTER_HOME``, default ``<data dir>/dagster``."""
    return Path(raw("DAGSTER_HOME") or data_dir() / "dagster").expanduser().resolve()


def lake_url() -> str:
    return raw("MISSION_LAKE_URL") or str(data_dir() / "lake")


def s3_endpoint_url() -> Optional[str]:
    return raw("MISSION_S3_ENDPOINT_URL")


def s3_region() -> Optional[str]:
    return raw("AWS_REGION") or raw("AWS_DEFAULT_REGION")


def warehouse_url() -> Optional[str]:
    return raw("MISSION_WAREHOUSE_URL")


def dashboard_url() -> Optional[str]:
    """``MISSION_DASHBOARD_URL``: where the dashboard connects, role and password included."""
    return raw("MISSION_DASHBOARD_URL")


DASHBOARD_LOGINS = ("none", "oidc")


def dashboard_login() -> str:
    """``MISSION_DASHBOARD_LOGIN``: ``oidc`` asks visitors to sign in (Streamlit's st.login); blank: none."""
    return choice("MISSION_DASHBOARD_LOGIN", raw("MISSION_DASHBOARD_LOGIN"), "none", DASHBOARD_LOGINS)


def alert_webhook_url() -> Optional[str]:
    return raw("MISSION_ALERT_WEBHOOK_URL")


# -- operations --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Freshness:
    warn_days: float
    fail_days: float


DEFAULT_FRESHNESS = Freshness(warn_days=7.0, fail_days=8.0)


def freshness() -> Freshness:
    warn = number("MISSION_FRESHNESS_WARN_DAYS", raw("MISSION_FRESHNESS_WARN_DAYS"), DEFAULT_FRESHNESS.warn_days,
                  above=True, unit="a number of days")
    fail = number("MISSION_FRESHNESS_FAIL_DAYS", raw("MISSION_FRESHNESS_FAIL_DAYS"), DEFAULT_FRESHNESS.fail_days,
                  above=True, unit="a number of days")
    if not warn < fail:
        raise ConfigurationError(
            f"MISSION_FRESHNESS_WARN_DAYS ({warn:g}) must be below MISSION_FRESHNESS_FAIL_DAYS ({fail:g})")
    return Freshness(warn_days=warn, fail_days=fail)


DEFAULT_MAX_ROW_DROP_SHARE = 0.2


def max_row_drop_share(value: Optional[str]) -> float:
    return number("MISSION_MAX_ROW_DROP_SHARE", value, DEFAULT_MAX_ROW_DROP_SHARE, maximum=1.0, unit="a share")


DEFAULT_RETRY_ATTEMPTS = 5


def retry_attempts() -> int:
    return env_count("MISSION_RETRY_ATTEMPTS", DEFAULT_RETRY_ATTEMPTS, unit="a number of attempts")


@dataclass(frozen=True)
class DateSpan:
    """How far from the export date a mission may start before its date counts as a typo (1900, 2099)."""

    years_back: int
    years_ahead: int


DEFAULT_DATE_SPAN = DateSpan(years_back=20, years_ahead=2)


def mission_date_span() -> DateSpan:
    return DateSpan(
        years_back=env_count("MISSION_MAX_YEARS_BACK", DEFAULT_DATE_SPAN.years_back, unit="a number of years"),
        years_ahead=env_count("MISSION_MAX_YEARS_AHEAD", DEFAULT_DATE_SPAN.years_ahead, unit="a number of years"),
    )


DEFAULT_POOL_WAIT_SECONDS = 1800


def pool_wait_seconds() -> int:
    """How long the command line waits for a live run holding the warehouse pool before giving up."""
    return env_count("MISSION_POOL_WAIT_SECONDS", DEFAULT_POOL_WAIT_SECONDS, unit="a number of seconds")


def raw_retention_days() -> Optional[int]:
    """Days of exports the lake keeps in raw/ and parsed/ before the newest one's; None (unset): keep everything."""
    value = raw("MISSION_RAW_RETENTION_DAYS")
    return None if value is None else count("MISSION_RAW_RETENTION_DAYS", value, 0, unit="a number of days")


@dataclass(frozen=True)
class ReportingSettings:
    """How the reporting tables are built and read (docs/WAREHOUSE.md, reporting)."""

    candidates_per_mission: int  # extras_candidats keeps the best N extras of each mission to assign
    reader_statement_timeout_seconds: int  # the read-only role's statement_timeout (0: none)


def reporting_settings() -> ReportingSettings:
    return ReportingSettings(
        candidates_per_mission=env_count("MISSION_CANDIDATES_PER_MISSION", 20, unit="a number of extras"),
        reader_statement_timeout_seconds=env_count("MISSION_READER_STATEMENT_TIMEOUT_SECONDS", 60, minimum=0,
                                                   unit="a number of seconds (0: no limit)"),
    )


def reader_password(value: Optional[str]) -> Optional[str]:
    """A reader role's password (``LOOKER_READER_PASSWORD``, ``OPS_READER_PASSWORD``); None: the role gets none."""
    return value.strip() if value and value.strip() else None


EXECUTORS = ("multiprocess", "in_process", "celery")


def executor_kind() -> Optional[str]:
    """``MISSION_EXECUTOR``; None when unset (the job's default is multiprocess, the command line's in_process)."""
    value = raw("MISSION_EXECUTOR")
    return None if value is None else choice("MISSION_EXECUTOR", value, "multiprocess", EXECUTORS)


DEFAULT_MAX_CONCURRENT_STEPS = 2


def max_concurrent_steps() -> int:
    return env_count("MISSION_MAX_CONCURRENT_STEPS", DEFAULT_MAX_CONCURRENT_STEPS, unit="a number of steps")


@dataclass(frozen=True)
class CelerySettings:
    broker: str
    backend: str
    queue: str
    step_timeout: int


DEFAULT_CELERY_BACKEND = "rpc://"
DEFAULT_CELERY_QUEUE = "dagster"  # dagster-celery's
DEFAULT_STEP_TIMEOUT = 1200  # below RabbitMQ's consumer_timeout (30 min) for unacknowledged messages


def celery_step_timeout() -> int:
    return env_count("MISSION_CELERY_STEP_TIMEOUT", DEFAULT_STEP_TIMEOUT, unit="a whole number of seconds")


def celery() -> CelerySettings:
    """What the runs and the workers both read with ``MISSION_EXECUTOR=celery``; a clear error when incomplete."""
    broker = raw("MISSION_CELERY_BROKER")
    if not broker:
        raise ConfigurationError(
            "MISSION_EXECUTOR=celery needs MISSION_CELERY_BROKER, the broker every worker listens to "
            "(e.g. amqp://USER:PASSWORD@rabbitmq:5672// or redis://redis:6379/0)")
    if not warehouse_url():
        # The embedded warehouse lives in one machine's data folder; workers elsewhere would each start their own.
        raise ConfigurationError(
            "MISSION_EXECUTOR=celery runs steps in worker processes that may be on other machines: "
            "set MISSION_WAREHOUSE_URL to a PostgreSQL server they all reach (the embedded warehouse is per machine)")
    if not raw("MISSION_LAKE_URL"):
        # The default lake is a folder under each process's own data folder.
        raise ConfigurationError(
            "MISSION_EXECUTOR=celery needs MISSION_LAKE_URL: s3://bucket/prefix, or a folder every worker mounts at "
            "the same path")
    return CelerySettings(
        broker=broker,
        backend=raw("MISSION_CELERY_BACKEND") or DEFAULT_CELERY_BACKEND,
        queue=raw("MISSION_CELERY_QUEUE") or DEFAULT_CELERY_QUEUE,
        step_timeout=celery_step_timeout(),
    )


# -- secrets: tariffs ----------------------------------------------------------------------------------

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


def tariffs(values: Mapping[str, Optional[str]], *, production: bool) -> Tariffs:
    """The tariffs from their four texts (by variable name): all four, or none in the demo (sample values)."""
    parsed = {
        name: number(name, values.get(name), None, maximum=1.0 if name == "VAT_RATE" else None,
                     unit="a rate" if name == "VAT_RATE" else "an amount in euros")
        for name in TARIFF_VARIABLES
    }
    missing = [name for name, v in parsed.items() if v is None]
    if not missing:
        return Tariffs(
            overtime_rate=parsed["OVERTIME_RATE"],
            extra_hourly_pay=parsed["EXTRA_HOURLY_PAY"],
            extra_hourly_pay_urgent=parsed["EXTRA_HOURLY_PAY_URGENT"],
            vat_rate=parsed["VAT_RATE"],
            is_sample=False,
        )
    if production:
        raise ConfigurationError(
            f"the tariffs {', '.join(missing)} are not set; production (MISSION_ENV=production) requires "
            "all of OVERTIME_RATE, EXTRA_HOURLY_PAY, EXTRA_HOURLY_PAY_URGENT and VAT_RATE")
    if len(missing) < len(TARIFF_VARIABLES):
        raise ConfigurationError(
            f"only some tariffs are set ({', '.join(missing)} missing): set all four or none (demo sample values)")
    return SAMPLE_TARIFFS


def tariffs_from_env() -> Tariffs:
    return tariffs({name: raw(name) for name in TARIFF_VARIABLES}, production=is_production())


# -- secrets: the public-demo profile ------------------------------------------------------------------

@dataclass(frozen=True)
class DemoProfile:
    """The public-demo profile: a seeded sample of people and scaled money."""

    enabled: bool
    sample_fraction: float = 1.0
    hotel_coeff: float = 1.0
    extra_coeff: float = 1.0
    seed: int = 0


DEMO_VARIABLES = ("MISSION_PUBLIC_DEMO", "MISSION_DEMO_SAMPLE_FRACTION", "MISSION_DEMO_HOTEL_COEFF",
                  "MISSION_DEMO_EXTRA_COEFF", "MISSION_DEMO_SEED")


def demo_profile(values: Mapping[str, Optional[str]]) -> DemoProfile:
    """The profile from its texts (by variable name); every value is checked even when the profile is off."""
    enabled = boolean("MISSION_PUBLIC_DEMO", values.get("MISSION_PUBLIC_DEMO"))
    fraction = number("MISSION_DEMO_SAMPLE_FRACTION", values.get("MISSION_DEMO_SAMPLE_FRACTION"), None,
                      above=True, maximum=1.0, unit="a share")
    hotel = number("MISSION_DEMO_HOTEL_COEFF", values.get("MISSION_DEMO_HOTEL_COEFF"), None, above=True,
                   unit="a coefficient")
    extra = number("MISSION_DEMO_EXTRA_COEFF", values.get("MISSION_DEMO_EXTRA_COEFF"), None, above=True,
                   unit="a coefficient")
    seed = count("MISSION_DEMO_SEED", values.get("MISSION_DEMO_SEED"), 0, minimum=0)
    if not enabled:
        return DemoProfile(enabled=False)
    missing = [name for name, v in (("MISSION_DEMO_SAMPLE_FRACTION", fraction), ("MISSION_DEMO_HOTEL_COEFF", hotel),
                                    ("MISSION_DEMO_EXTRA_COEFF", extra)) if v is None]
    if missing:
        # The coefficients are secret: no default may stand in for them.
        raise ConfigurationError(f"MISSION_PUBLIC_DEMO is on but {', '.join(missing)} is not set")
    return DemoProfile(enabled=True, sample_fraction=fraction, hotel_coeff=hotel, extra_coeff=extra, seed=seed)


def demo_profile_from_env() -> DemoProfile:
    return demo_profile({name: raw(name) for name in DEMO_VARIABLES})


# -- secrets: the anonymisation key ---------------------------------------------------------------------

MIN_KEY_LENGTH = 16


def key_file(folder: Optional[Path] = None) -> Path:
    return (folder or data_dir()) / "anonymisation.key"


def anonymisation_key(value: Optional[str], *, production: bool, folder: Optional[Path] = None) -> bytes:
    """The pseudonymisation secret: ``ANONYMISATION_KEY``, or in the demo the key file.

    Never creates the key: steps may run in parallel or on other machines, so
    the command line creates it once before any run (``ensure_demo_key``).
    """
    if value is not None and value.strip():
        check_key_length(value)
        return value.strip().encode("utf-8")
    path = key_file(folder)
    if not production and path.exists():
        return path.read_text().strip().encode("utf-8")
    raise ConfigurationError(
        "ANONYMISATION_KEY is not set"
        + ("" if production else f" and no demo key exists at {path}")
        + ": set it (e.g. `python -c 'import secrets; print(secrets.token_hex(32))'`)"
        + ("" if production else " or run `mission-platform demo` once to create the demo key"))


def check_key_length(value: Optional[str]) -> None:
    if value is not None and value.strip() and len(value.strip()) < MIN_KEY_LENGTH:
        raise ConfigurationError(
            f"ANONYMISATION_KEY is too short: use at least {MIN_KEY_LENGTH} characters (32 random bytes in hex is best)")


def ensure_demo_key() -> Path | None:
    """Create the demo key file once (owner-only) when no key is configured.

    Returns the path when it was created now, None when nothing was needed.
    """
    if raw("ANONYMISATION_KEY") or is_production():
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


# -- every setting at once -------------------------------------------------------------------------------

# Each check parses one group of settings; check_environment runs them all, so a bad value anywhere stops a
# command before it writes anything, and a step before its work.
CHECKS: tuple[Callable[[], object], ...] = (
    environment,
    freshness,
    lambda: max_row_drop_share(raw("MISSION_MAX_ROW_DROP_SHARE")),
    retry_attempts,
    pool_wait_seconds,
    raw_retention_days,
    mission_date_span,
    reporting_settings,
    dashboard_login,
    executor_kind,
    max_concurrent_steps,
    celery_step_timeout,
    lambda: celery() if executor_kind() == "celery" else None,
    lambda: tariffs({name: raw(name) for name in TARIFF_VARIABLES}, production=False),
    demo_profile_from_env,
    lambda: check_key_length(raw("ANONYMISATION_KEY")),
)


def check_environment() -> None:
    """Parse every setting; the first bad one raises ``ConfigurationError``."""
    for check in CHECKS:
        check()


# -- keeping secrets out of messages ---------------------------------------------------------------------

URL_VARIABLES = ("MISSION_WAREHOUSE_URL", "MISSION_CELERY_BROKER", "MISSION_CELERY_BACKEND", "DAGSTER_PG_URL",
                 "MISSION_ALERT_WEBHOOK_URL")


def url_password(url: str) -> Optional[str]:
    """The password a URL carries, in its user part or as a ``password=`` parameter."""
    parts = urlsplit(url)
    try:
        if parts.password:
            return parts.password
    except ValueError:
        pass
    for key, value in parse_qsl(parts.query):
        if key == "password" and value:
            return value
    return None


def describe_url(url: str) -> str:
    """The URL without its password (user part or ``password=`` parameter), for logs and messages."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        user, host = netloc.rsplit("@", 1)
        name, _, password = user.partition(":")
        if password:  # an empty one (the embedded server's) is left as it is: the psql line must work
            netloc = f"{name}:***@{host}"
    query = re.sub(r"(^|&)password=[^&]*", r"\1password=***", parts.query)
    return parts._replace(netloc=netloc, query=query).geturl()


def secret_values() -> list[str]:
    """Every secret the environment holds: the values redact() removes from text."""
    values = [raw(name) for name in SECRETS]
    values += [url_password(url) for url in (raw(name) for name in URL_VARIABLES) if url]
    # Longest first, so a secret that contains another is removed whole; short ones (a tariff) are left alone,
    # since "40" would otherwise erase every 40 in a message.
    return sorted({v for v in values if v and len(v) >= 6}, key=len, reverse=True)


def redact(text: str) -> str:
    """``text`` with every secret of the environment and every URL password replaced by ``***``."""
    for secret in secret_values():
        text = text.replace(secret, "***")
    return re.sub(r"(://[^/\s:@]+:)[^@\s/]+@", r"\1***@", re.sub(r"([?&]password=)[^&\s'\"]+", r"\1***", text))
