"""The dues rules of 中组发〔2008〕3号 as data, and the calculator.

Monthly dues = base × rate, the rate chosen by the bracket the *whole* base falls in (not progressive):
3000.00 pays 15.00, 3000.01 pays 30.00. Rounded to 0.01 yuan, ROUND_HALF_UP.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dangjian.core.errors import DomainError

CENT = Decimal("0.01")
MAX_MONTHLY_BASE = Decimal("10000000.00")  # above this an input is a typo, not a salary

CATEGORIES: dict[str, Any] = {
    "in_service": gettext_lazy("In service (after-tax monthly pay)"),
    "self_employed": gettext_lazy("Self-employed (average monthly net income of the previous quarter)"),
    "retired": gettext_lazy("Retired (pension)"),
    "farmer": gettext_lazy("Farmer (fixed amount)"),
    "student": gettext_lazy("Student (fixed amount)"),
    "unemployed": gettext_lazy("Laid off or unemployed (fixed amount)"),
    "relief": gettext_lazy("Living on relief or subsistence allowance (fixed amount)"),
}
BRACKET_CATEGORIES = ("in_service", "self_employed", "retired")
FIXED_CATEGORIES = ("farmer", "student", "unemployed", "relief")
FARMER_RANGE = (Decimal("0.20"), Decimal("1.00"))

# Brackets: (upper bound inclusive, rate); the last bound is None (no upper limit).
DEFAULT_RULES: dict[str, Any] = {
    "brackets": {
        "in_service": [["3000.00", "0.005"], ["5000.00", "0.01"], ["10000.00", "0.015"], [None, "0.02"]],
        "self_employed": [["3000.00", "0.005"], ["5000.00", "0.01"], ["10000.00", "0.015"], [None, "0.02"]],
        "retired": [["5000.00", "0.005"], [None, "0.01"]],
    },
    "fixed": {"farmer": "0.20", "student": "0.20", "unemployed": "0.20", "relief": "0.20"},
    # Which pay items make the base (configurable per enterprise; DOMAIN.md "Base items").
    "base": {"deduct_income_tax": True, "deduct_social_insurance": False, "deduct_housing_fund": False},
}


@dataclass(frozen=True)
class DuesQuote:
    category: str
    base: Decimal | None
    rate: Decimal | None
    monthly_amount: Decimal


def parse_money(value: Any, field: str, *, allow_none: bool = False) -> Decimal | None:
    """A non-negative amount in yuan with at most two decimals, or a 400 naming ``field``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if allow_none:
            return None
        raise DomainError(
            _("%(f)s is required.") % {"f": field}, [{"field": field, "message": _("This field is required.")}]
        )
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise DomainError(
            _("%(f)s must be a number.") % {"f": field}, [{"field": field, "message": _("Not a number.")}]
        ) from None
    if not amount.is_finite():
        raise DomainError(
            _("%(f)s must be a number.") % {"f": field}, [{"field": field, "message": _("Not a number.")}]
        )
    if amount < 0:
        raise DomainError(
            _("%(f)s cannot be negative.") % {"f": field}, [{"field": field, "message": _("Cannot be negative.")}]
        )
    if amount > MAX_MONTHLY_BASE:
        raise DomainError(
            _("%(f)s is unrealistically large.") % {"f": field}, [{"field": field, "message": _("Too large.")}]
        )
    if amount != amount.quantize(CENT):
        raise DomainError(
            _("%(f)s has more than two decimal places.") % {"f": field},
            [{"field": field, "message": _("At most two decimal places.")}],
        )
    return amount.quantize(CENT)


def validate_rules(rules: dict[str, Any]) -> list[dict[str, str]]:
    """Problems with a rule set, as field errors (empty when it is valid)."""
    errors: list[dict[str, str]] = []
    brackets = rules.get("brackets", {})
    for cat in BRACKET_CATEGORIES:
        rows = brackets.get(cat)
        if not rows:
            errors.append({"field": f"brackets.{cat}", "message": _("Missing brackets.")})
            continue
        previous = Decimal("-1")
        for i, (bound, rate) in enumerate(rows):
            last = i == len(rows) - 1
            try:
                r = Decimal(str(rate))
            except InvalidOperation:
                errors.append({"field": f"brackets.{cat}.{i}", "message": _("Rate is not a number.")})
                continue
            if not Decimal("0") < r <= Decimal("0.05"):
                errors.append({"field": f"brackets.{cat}.{i}", "message": _("Rate must be above 0 and at most 5%.")})
            if last and bound is not None:
                errors.append({"field": f"brackets.{cat}.{i}", "message": _("The last bracket has no upper bound.")})
            if not last:
                try:
                    b = Decimal(str(bound))
                except InvalidOperation:
                    errors.append({"field": f"brackets.{cat}.{i}", "message": _("Bound is not a number.")})
                    continue
                if b <= previous:
                    errors.append({"field": f"brackets.{cat}.{i}", "message": _("Bounds must increase.")})
                previous = b
    fixed = rules.get("fixed", {})
    for cat in FIXED_CATEGORIES:
        try:
            amount = Decimal(str(fixed.get(cat)))
        except InvalidOperation:
            errors.append({"field": f"fixed.{cat}", "message": _("Not a number.")})
            continue
        if cat == "farmer":
            if not FARMER_RANGE[0] <= amount <= FARMER_RANGE[1]:
                errors.append(
                    {"field": "fixed.farmer", "message": _("Farmers pay between 0.20 and 1.00 yuan a month.")}
                )
        elif amount != Decimal("0.20"):
            errors.append({"field": f"fixed.{cat}", "message": _("This category pays 0.20 yuan a month.")})
    return errors


def quote(*, category: str, base: Decimal | None, rules: dict[str, Any]) -> DuesQuote:
    """The monthly amount for a base and category under ``rules``."""
    if category not in CATEGORIES:
        raise DomainError(
            _("Unknown category: choose one of %(c)s.") % {"c": ", ".join(CATEGORIES)},
            [{"field": "category", "message": _("Unknown category.")}],
        )
    if category in FIXED_CATEGORIES:
        amount = Decimal(str(rules["fixed"][category])).quantize(CENT, rounding=ROUND_HALF_UP)
        return DuesQuote(category=category, base=base, rate=None, monthly_amount=amount)
    if base is None:
        raise DomainError(
            _("income is required for this category."), [{"field": "income", "message": _("This field is required.")}]
        )
    rate = None
    for bound, r in rules["brackets"][category]:
        if bound is None or base <= Decimal(str(bound)):
            rate = Decimal(str(r))
            break
    assert rate is not None  # the last bracket is unbounded (validate_rules)
    amount = (base * rate).quantize(CENT, rounding=ROUND_HALF_UP)
    return DuesQuote(category=category, base=base, rate=rate, monthly_amount=amount)
