"""One configuration surface: every setting parsed by one module with the same rules, checked before anything runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mission_platform import settings
from mission_platform.anonymise.resources import AnonymisationResource
from mission_platform.cli.commands import main
from mission_platform.settings import ConfigurationError
from mission_platform.warehouse.resources import TariffsResource, WarehouseResource

ROOT = Path(__file__).resolve().parent.parent

NUMBERS = ["MISSION_FRESHNESS_WARN_DAYS", "MISSION_FRESHNESS_FAIL_DAYS", "MISSION_MAX_ROW_DROP_SHARE", "OVERTIME_RATE",
           "EXTRA_HOURLY_PAY", "EXTRA_HOURLY_PAY_URGENT", "VAT_RATE", "MISSION_DEMO_SAMPLE_FRACTION",
           "MISSION_DEMO_HOTEL_COEFF", "MISSION_DEMO_EXTRA_COEFF"]
COUNTS = ["MISSION_RETRY_ATTEMPTS", "MISSION_MAX_CONCURRENT_STEPS", "MISSION_CELERY_STEP_TIMEOUT", "MISSION_POOL_WAIT_SECONDS",
          "MISSION_RAW_RETENTION_DAYS", "MISSION_MAX_YEARS_BACK", "MISSION_MAX_YEARS_AHEAD",
          "MISSION_CANDIDATES_PER_MISSION"]
WORDS = {"MISSION_PUBLIC_DEMO": "abc", "MISSION_ENV": "prod", "MISSION_EXECUTOR": "threads"}

BAD_VALUES = (
    [(name, value) for name in NUMBERS for value in ("abc", "-5", "1,2,3")]
    + [(name, value) for name in COUNTS for value in ("two", "-5", "0", "1.5")]
    + [("MISSION_DEMO_SEED", "-5"), ("MISSION_DEMO_SEED", "seven")]
    + list(WORDS.items())
    + [("ANONYMISATION_KEY", "too-short")]
)
EVERY_VARIABLE = sorted({name for name, _ in BAD_VALUES} | {
    "MISSION_LAKE_URL", "MISSION_S3_ENDPOINT_URL", "MISSION_WAREHOUSE_URL", "MISSION_DATA_DIR", "DAGSTER_HOME",
    "LOOKER_READER_PASSWORD", "MISSION_ALERT_WEBHOOK_URL", "MISSION_CELERY_BROKER", "MISSION_CELERY_BACKEND",
    "MISSION_CELERY_QUEUE"})


@pytest.mark.parametrize(("name", "value"), BAD_VALUES)
def test_every_bad_value_is_one_line_naming_the_variable_and_nothing_is_written(name, value, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MISSION_LAKE_URL", str(tmp_path / "lake"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError, match=name):
        settings.check_environment()
    assert main(["materialize"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and err.startswith("error: ") and name in err, err
    if name in settings.SECRETS:
        assert value not in err  # a secret's value is never printed, even a wrong one
    else:
        assert repr(value) in err
    assert list(tmp_path.iterdir()) == []  # no lake, no instance, no key file


def test_a_blank_value_is_unset_and_a_decimal_comma_is_a_number(monkeypatch):
    for name in EVERY_VARIABLE:
        monkeypatch.setenv(name, "  ")
    settings.check_environment()
    assert settings.freshness() == settings.DEFAULT_FRESHNESS
    assert settings.retry_attempts() == settings.DEFAULT_RETRY_ATTEMPTS
    assert settings.tariffs_from_env() == settings.SAMPLE_TARIFFS
    assert not settings.demo_profile_from_env().enabled
    assert settings.lake_url().endswith("/data/lake") and settings.warehouse_url() is None
    for name in NUMBERS:
        monkeypatch.setenv(name, "0,5")
    monkeypatch.setenv("MISSION_FRESHNESS_FAIL_DAYS", "1,5")
    monkeypatch.setenv("MISSION_PUBLIC_DEMO", "on")
    settings.check_environment()
    assert settings.tariffs_from_env().vat_rate == 0.5
    assert settings.max_row_drop_share("0,2") == 0.2
    assert settings.demo_profile_from_env().hotel_coeff == 0.5


def test_settings_that_contradict_each_other_are_refused(monkeypatch):
    monkeypatch.setenv("MISSION_FRESHNESS_WARN_DAYS", "9")
    with pytest.raises(ConfigurationError, match="MISSION_FRESHNESS_WARN_DAYS .* below MISSION_FRESHNESS_FAIL_DAYS"):
        settings.check_environment()
    monkeypatch.delenv("MISSION_FRESHNESS_WARN_DAYS")
    monkeypatch.setenv("OVERTIME_RATE", "40")
    with pytest.raises(ConfigurationError, match="EXTRA_HOURLY_PAY, EXTRA_HOURLY_PAY_URGENT, VAT_RATE missing"):
        settings.check_environment()
    monkeypatch.delenv("OVERTIME_RATE")
    monkeypatch.setenv("MISSION_PUBLIC_DEMO", "yes")
    with pytest.raises(ConfigurationError, match="MISSION_PUBLIC_DEMO is on but MISSION_DEMO_SAMPLE_FRACTION"):
        settings.check_environment()
    monkeypatch.setenv("MISSION_PUBLIC_DEMO", "off")
    monkeypatch.setenv("MISSION_EXECUTOR", "celery")
    with pytest.raises(ConfigurationError, match="MISSION_CELERY_BROKER"):
        settings.check_environment()


def test_resources_take_their_settings_as_fields_without_the_environment():
    tariffs = TariffsResource(overtime_rate="45,5", extra_hourly_pay="15", extra_hourly_pay_urgent="18", vat_rate="0,2")
    assert tariffs.tariffs() == settings.Tariffs(45.5, 15.0, 18.0, 0.2, is_sample=False)
    with pytest.raises(ConfigurationError, match="OVERTIME_RATE"):
        TariffsResource(overtime_rate="-5", extra_hourly_pay="15", extra_hourly_pay_urgent="18", vat_rate="0.2").check_settings()
    with pytest.raises(ConfigurationError, match="production .* requires"):
        TariffsResource(environment="production").tariffs()
    profile = AnonymisationResource(public_demo="on", sample_fraction="0,5", hotel_coeff="1.1", extra_coeff="0.9").profile()
    assert profile.enabled and profile.sample_fraction == 0.5
    with pytest.raises(ConfigurationError, match="MISSION_PUBLIC_DEMO is 'abc'"):
        AnonymisationResource(public_demo="abc").check_settings()
    assert WarehouseResource(max_row_drop_share="0,3").row_drop_share() == 0.3
    with pytest.raises(ConfigurationError, match="MISSION_MAX_ROW_DROP_SHARE is 'abc'"):
        WarehouseResource(max_row_drop_share="abc").check_settings()


def test_definitions_load_whatever_the_settings_say():
    """A blank or bad value never stops the definitions from loading: the runs fail with its message instead."""
    env = {"PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin", "MISSION_FRESHNESS_WARN_DAYS": "abc",
           "MISSION_FRESHNESS_FAIL_DAYS": "", "MISSION_MAX_CONCURRENT_STEPS": "-5", "MISSION_EXECUTOR": "celery",
           "OVERTIME_RATE": "-5", "MISSION_PUBLIC_DEMO": "abc", "MISSION_MAX_ROW_DROP_SHARE": "abc"}
    code = ("from mission_platform.definitions import defs\n"
            "graph = defs.resolve_asset_graph()\n"
            "print(len(list(graph.get_all_asset_keys())), defs.resolve_job_def('mission_platform_job').executor_def.name)")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["42", "local"]


def test_passwords_are_taken_out_of_urls_and_messages(monkeypatch):
    monkeypatch.setenv("MISSION_WAREHOUSE_URL", "postgresql://mission@db:5432/wh?sslmode=require&password=pa55-query-word")
    monkeypatch.setenv("MISSION_CELERY_BROKER", "amqp://user:broker-pa55@rabbit:5672//")
    monkeypatch.setenv("LOOKER_READER_PASSWORD", "looker-pa55word")
    assert settings.describe_url(settings.warehouse_url()) == "postgresql://mission@db:5432/wh?sslmode=require&password=***"
    assert settings.describe_url("postgresql://u:secret@h/db") == "postgresql://u:***@h/db"
    embedded = "postgresql://postgres:@/postgres?host=/data/warehouse"  # no password: left whole, for the psql line
    assert settings.describe_url(embedded) == settings.redact(embedded) == embedded
    text = "pa55-query-word, amqp://user:broker-pa55@rabbit//, looker-pa55word, postgresql://x:other-secret@h/d"
    assert settings.redact(text) == "***, amqp://user:***@rabbit//, ***, postgresql://x:***@h/d"
