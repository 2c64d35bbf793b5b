"""Channel decisions in real time for customs systems: ``POST /api/v1/declarations/channels``
(``/declarations/assess``, its first name, stays as a deprecated alias)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest, JsonResponse
from ninja import Field, Router
from ninja.errors import HttpError, ValidationError
from pydantic import BaseModel, field_validator, model_validator

from greenlane.api.auth import RoleAuth, TokenAuth
from greenlane.api.openapi import Problem
from greenlane.apps.targeting import channels as service
from greenlane.apps.targeting import quota
from greenlane.apps.targeting.models import ApiToken
from greenlane.apps.targeting.permissions import SCORE_ROLES
from greenlane.apps.wording import said
from greenlane.core.risk.schema import COUNTRIES, TRANSPORT_MODE_WORDS

router = Router(tags=["declarations"])
MAX_BATCH = 10_000


# Plain pydantic models: ninja's Schema wraps every object in a getter for Django models, which
# cost about a second on a batch of 10,000 declarations in and 10,000 results out.
class DeclarationIn(BaseModel):
    number: str = Field(min_length=1, max_length=40)
    declaration_date: date
    office_code: str = Field(min_length=1, max_length=10)
    transport_mode: str | None = Field(
        default=None,
        pattern=r"^[1-9]$",
        description="UN/ECE Rec. 19 code (1-9), or its word: sea, rail, road, air, post, "
        "multimodal, fixed installation, inland waterway, unknown",
    )
    declarant_code: str = Field(default="", max_length=40)
    importer_code: str = Field(min_length=1, max_length=40)
    seller_code: str = Field(default="", max_length=40)
    hs6: str = Field(pattern=r"^\d{6,10}$", description="HS code, 6 to 10 digits")
    origin_country: str = Field(description="ISO 3166-1 alpha-2")
    dispatch_country: str | None = None
    quantity: float | None = Field(default=None, ge=0)
    net_mass_kg: float = Field(ge=0)
    customs_value: float = Field(ge=0)
    tax_rate: float | None = Field(default=None, ge=0, le=1000)
    duty_amount: float | None = Field(default=None, ge=0)

    @field_validator("transport_mode", mode="before")
    @classmethod
    def _mode_word(cls, value: Any) -> Any:
        if isinstance(value, str):
            return TRANSPORT_MODE_WORDS.get(" ".join(value.lower().split()), value.strip())
        return value

    @field_validator("hs6")
    @classmethod
    def _six_digits(cls, value: str) -> str:
        return value[:6]

    @field_validator("origin_country", "dispatch_country")
    @classmethod
    def _country(cls, value: str | None) -> str | None:
        if value is None:
            return None
        code = value.strip().upper()
        if code not in COUNTRIES:
            raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 country code")
        return code


class ChannelsIn(BaseModel):
    """One declaration, or ``{"declarations": [...]}`` (up to 10,000). A plain pydantic model:
    ninja's Schema hands a before-validator a wrapped object instead of the JSON dict."""

    declarations: list[DeclarationIn] = Field(min_length=1, max_length=MAX_BATCH)

    @model_validator(mode="before")
    @classmethod
    def _one_or_many(cls, data: Any) -> Any:
        if isinstance(data, dict) and "declarations" not in data:
            return {"declarations": [data]}
        return data


class ChannelOut(BaseModel):
    number: str
    channel: str
    probability: float
    score: float
    revenue_at_stake: float
    reasons: list[str]
    aeo_benefit: bool
    partner_aeo_benefit: bool
    random: bool


def channels(request: HttpRequest, body: ChannelsIn) -> Any:
    token = request.auth if isinstance(request.auth, ApiToken) else None
    user = None if token else request.auth
    if token is not None:
        try:
            quota.charge(token, len(body.declarations))
        except quota.Exceeded as exc:
            refused = JsonResponse({"detail": str(exc)}, status=429)
            refused["Retry-After"] = str(exc.retry_after)
            return refused
    try:
        decided = service.decide([d.model_dump() for d in body.declarations], token, user)
    except service.Undecidable as exc:
        if exc.field is None:
            raise HttpError(409, said(exc)) from None
        raise ValidationError(
            [
                {
                    "loc": ["body", "declarations", exc.index, exc.field],
                    "msg": said(exc),
                    "type": "value_error",
                }
            ]
        ) from None
    return [outcome.answer() for outcome in decided]


ANSWERS = {200: list[ChannelOut], 409: Problem, 429: Problem}
AUTH = [TokenAuth(), RoleAuth(SCORE_ROLES)]
router.post(
    "/channels",
    response=ANSWERS,
    auth=AUTH,
    summary="Channel, score and reasons for one declaration or a batch (API key or session)",
)(channels)
router.post(
    "/assess",
    response=ANSWERS,
    auth=AUTH,
    summary="The first name of POST /declarations/channels, kept for existing clients",
    deprecated=True,
    operation_id="assess_deprecated",
)(channels)
