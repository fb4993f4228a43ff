"""The agent a cancer-related MedicationRequest or MedicationAdministration names (an RxNorm
ingredient code endodecide knows, a GnRH agonist read as ovarian suppression, or endodecide's
local agent code), and the fulvestrant dose in mg.
"""

from __future__ import annotations

from endodecide.errors import Problem
from endodecide.fhir import terminology as term
from endodecide.fhir.extensions import CS_AGENT, UCUM
from endodecide.fhir.resources import Item, Resources, codings, get
from endodecide.profile import AGENT_NAMES
from endodecide.sources import Loc
from endodecide.textsafe import clip, quote

__all__ = ["DOSE", "agent_of", "dose_of"]

DOSE: dict[str, Loc] = {
    "MedicationRequest": ("dosageInstruction", 0, "doseAndRate", 0, "doseQuantity"),
    "MedicationAdministration": ("dosage", "dose"),
}


def _known_agents() -> str:
    known = [(name, c.code) for name, c in term.AGENT_CODES.items()]
    known += [
        (f"{name} (ovarian suppression)", c.code)
        for name, c in term.OVARIAN_SUPPRESSION_AGENTS.items()
    ]
    return ", ".join(f"{code} {name}" for name, code in sorted(known))


def agent_of(res: Resources, item: Item, problems: list[Problem]) -> str | None:
    """The profile agent a request names: a verified RxNorm code or the local agent code."""
    model = item.model
    if model.medicationCodeableConcept is None:
        message = (
            "endodecide reads the agent from medicationCodeableConcept (RxNorm or "
            f"{CS_AGENT}); a referenced Medication is not read"
        )
        problems.append(res.problem(item, ("medicationReference",), message, "E203"))
        return None
    element: Loc = ("medicationCodeableConcept",)
    rxnorm = {(c.system, c.code): name for name, c in term.AGENT_CODES.items()}
    rxnorm.update(
        {
            (c.system, c.code): "ovarian_suppression"
            for c in term.OVARIAN_SUPPRESSION_AGENTS.values()
        }
    )
    found: set[str] = set()
    unknown: list[str] = []
    for system, code in codings(model.medicationCodeableConcept):
        if (system, code) in rxnorm:
            found.add(rxnorm[(system, code)])
        elif system == CS_AGENT and code in AGENT_NAMES:
            found.add(code)
        elif system == term.RXNORM:
            unknown.append(
                f"RxNorm code {clip(code)} is not an agent endodecide knows (known: "
                f"{_known_agents()}); an agent with no verified RxNorm code is coded in "
                f"{CS_AGENT}"
            )
        elif system == CS_AGENT:
            unknown.append(f"{quote(code)} is not in {CS_AGENT}; allowed: {', '.join(AGENT_NAMES)}")
    if len(found) == 1:  # other codings (a branded or dose form code, say) are left alone
        return found.pop()
    if found:
        message = f"codes of {' and '.join(sorted(found))}: one agent per request"
    elif unknown:
        message = unknown[0]
    else:
        message = f"no RxNorm code of an agent endodecide knows and no {CS_AGENT} code"
    problems.append(res.problem(item, element, message, "E203"))
    return None


def dose_of(res: Resources, item: Item, problems: list[Problem]) -> int | None:
    """The fulvestrant dose of a request in mg: 250 or 500, as the profile allows."""
    element = DOSE[item.kind]
    quantity = get(item.model, element)
    if quantity is None:
        message = "required for fulvestrant: the dose in mg (250 or 500)"
        problems.append(res.problem(item, element, message, "E202"))
        return None
    in_mg = (quantity.system == UCUM and quantity.code == "mg") or quantity.unit == "mg"
    value = quantity.value
    try:
        whole = value is not None and value == int(value)
    except (ArithmeticError, ValueError):  # infinite or not a number
        whole = False
    if in_mg and whole and int(value) in (250, 500):
        return int(value)
    shown = clip(f"{value} {quantity.code or quantity.unit or ''}".strip())
    message = f"a fulvestrant dose of {shown} is not allowed; allowed: 250 mg or 500 mg"
    problems.append(res.problem(item, element, message, "E203"))
    return None
