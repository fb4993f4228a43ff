"""The workshop's forms as pydantic models: what each accepts, said in its error messages.

FastAPI validates a posted form against these; a refusal becomes a 422 page naming the field
and what is allowed (``web.pages``), and nothing is stored.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from endodecide.textsafe import describe_control, first_control
from endodecide.workshop.panel import REASONS, Role, Vote

__all__ = ["BallotForm", "CreateForm", "JoinForm", "RoundForm"]


def _label(value: str) -> str:
    value = value.strip()
    char = next((c for c in value if c in "\t\n\r"), None) or first_control(value)
    if char is not None:
        raise ValueError(f"control character {describe_control(char)} is not allowed")
    if not value:
        raise ValueError("must not be empty")
    return value


def _text(value: str) -> str:
    char = first_control(value.replace("\r\n", "\n"))
    if char is not None:
        raise ValueError(f"control character {describe_control(char)} is not allowed")
    return value.replace("\r\n", "\n").strip()


class _Form(BaseModel):
    # the CSRF token arrives with every form; asgi-csrf has checked it already
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=False)


Title = Annotated[str, Field(max_length=120), AfterValidator(_label)]
DisplayName = Annotated[str, Field(max_length=40), AfterValidator(_label)]
Comment = Annotated[str, Field(max_length=2000), AfterValidator(_text)]
RuleId = Annotated[str, Field(pattern=r"^ED\d{3}$")]
StrategyId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,40}$")]
ProfileId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")]
DateChoice = Annotated[str, Field(pattern=r"^(review|latest|\d{4}-\d{2}-\d{2})$")]


class CreateForm(_Form):
    title: Title
    rules: Annotated[list[RuleId], Field(max_length=200)] = []
    strategies: Annotated[list[StrategyId], Field(max_length=40)] = []
    profiles: Annotated[list[ProfileId], Field(max_length=60)] = []
    threshold: Annotated[int, Field(ge=50, le=100)] = 75
    as_of: DateChoice = "review"


class JoinForm(_Form):
    code: Annotated[str, Field(min_length=4, max_length=12)]
    name: DisplayName
    role: Role

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        code = re.sub(r"[\s-]", "", value).upper()
        if not code.isalnum():
            raise ValueError("a join code is letters and digits, as shown by the facilitator")
        return code


class BallotForm(_Form):
    round: Annotated[int, Field(ge=1, le=2, description="1 before discussion, 2 after")]
    vote: Vote
    reason: str = ""
    comment: Comment = ""
    proposed_edit: bool = False

    @field_validator("reason")
    @classmethod
    def _reason(cls, value: str) -> str:
        if value and value not in REASONS:
            raise ValueError(f"must be one of: {', '.join(REASONS)} (or empty for 'agree')")
        return value

    @model_validator(mode="after")
    def _reason_needed(self) -> BallotForm:
        if self.vote != "agree" and not self.reason:
            raise ValueError(
                "reason: choose the reason you do not simply agree (evidence out of date, "
                "population does not match the trial, ...)"
            )
        return self

    def reason_code(self) -> str | None:
        """The coded reason; a reason sent with "agree" is dropped (agreeing needs none)."""
        if self.vote == "agree":
            return None
        return self.reason or None


class RoundForm(_Form):
    rule: Annotated[str, Field(pattern=r"^(ED\d{3}|all)$")]
    round: Annotated[int, Field(ge=1, le=2, description="1 before discussion, 2 after")]
    action: Literal["open", "close"]
