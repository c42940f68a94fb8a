"""Typed shape of `sources.yml intake_api:`: the signed web-form endpoint `POST /api/intake` of `opsys serve`."""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from opsys.config.strict import Strict


class IntakeApi(Strict):
    """A website's form backend posts each submission as JSON, signed with a secret shared with opsys."""

    secret_env: str = Field("OPSYS_INTAKE_SECRET", description="the environment variable holding the shared "
                            "secret (never the secret itself); unset or empty: the endpoint answers 503")
    max_kb: float = Field(64, gt=0, le=10_240, description="larger posts are refused with 413, unread")
    window_seconds: int = Field(300, ge=10, le=3600, description="a signature's timestamp may be this far "
                                "from the server's clock; each signature is accepted once within it")

    @field_validator("secret_env")
    @classmethod
    def _env_name(cls, v: str) -> str:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", v):
            raise ValueError(f"{v!r} is not an environment variable name (the secret itself never goes here)")
        return v
