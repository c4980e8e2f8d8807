"""The anonymisation stage's resource: the pseudonymisation key and the public-demo profile.

Its fields hold the variables' texts (``dg.EnvVar`` in the definitions, so the UI shows which
variable feeds each field and never its value); the methods parse them with ``mission_platform.settings``,
so a bad value fails the step with the same one line as the command line prints.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import dagster as dg
from pydantic import Field

from mission_platform import settings
from mission_platform.resources.fields import env_var, field_value


class AnonymisationResource(dg.ConfigurableResource):
    """The pseudonymisation key and the public-demo profile (a seeded sample, money scaled by secret coefficients)."""

    key: Optional[str] = Field(default=None, description="ANONYMISATION_KEY (demo: the key file under data_dir)")
    data_dir: Optional[str] = Field(default=None, description="MISSION_DATA_DIR (where the demo key file lives)")
    environment: Optional[str] = Field(default=None, description="MISSION_ENV (production requires the key)")
    public_demo: Optional[str] = Field(default=None, description="MISSION_PUBLIC_DEMO")
    sample_fraction: Optional[str] = Field(default=None, description="MISSION_DEMO_SAMPLE_FRACTION")
    hotel_coeff: Optional[str] = Field(default=None, description="MISSION_DEMO_HOTEL_COEFF")
    extra_coeff: Optional[str] = Field(default=None, description="MISSION_DEMO_EXTRA_COEFF")
    seed: Optional[str] = Field(default=None, description="MISSION_DEMO_SEED")

    def anonymisation_key(self) -> bytes:
        folder = field_value(self.data_dir)
        return settings.anonymisation_key(
            field_value(self.key),
            production=settings.environment_named(field_value(self.environment)) == "production",
            folder=Path(folder).expanduser().resolve() if folder else None,
        )

    def profile(self) -> settings.DemoProfile:
        return settings.demo_profile({
            "MISSION_PUBLIC_DEMO": field_value(self.public_demo),
            "MISSION_DEMO_SAMPLE_FRACTION": field_value(self.sample_fraction),
            "MISSION_DEMO_HOTEL_COEFF": field_value(self.hotel_coeff),
            "MISSION_DEMO_EXTRA_COEFF": field_value(self.extra_coeff),
            "MISSION_DEMO_SEED": field_value(self.seed),
        })

    def check_settings(self) -> None:
        self.profile()
        settings.check_key_length(field_value(self.key))


def anonymisation_resource_from_env() -> AnonymisationResource:
    return AnonymisationResource(
        key=env_var("ANONYMISATION_KEY"),
        data_dir=str(settings.data_dir()),
        environment=env_var("MISSION_ENV"),
        public_demo=env_var("MISSION_PUBLIC_DEMO"),
        sample_fraction=env_var("MISSION_DEMO_SAMPLE_FRACTION"),
        hotel_coeff=env_var("MISSION_DEMO_HOTEL_COEFF"),
        extra_coeff=env_var("MISSION_DEMO_EXTRA_COEFF"),
        seed=env_var("MISSION_DEMO_SEED"),
    )
