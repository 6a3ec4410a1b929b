"""The directory's values as a coordinator types them: e-mail addresses, codes, URNs, names, the
kinds of agency and body, phases and roles, each returned in the form the directory keeps or
refused in one sentence.

The same rules as an import file's cells (``states.rules.directory_rows``), so an entry one
way can be entered the other. A refusal never repeats the value: it may be a person's e-mail.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import StrEnum
from typing import TypeVar

from states.definitions.roles import GIVEN_ROLES
from states.errors import InvalidInput

CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}")
URN = re.compile(r"[0-9]{6,7}")
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
EMAIL = re.compile(rf"[a-z0-9.!#$%&'*+/=?^_`{{|}}~-]+@{_LABEL}(?:\.{_LABEL})+")
MAX_EMAIL, MAX_NAME = 254, 200
# Spreadsheets run a cell starting with these as a formula: nothing in the directory starts so,
# which keeps every export of it safe to open.
FORMULA_START = ("=", "+", "-", "@")
Choice = TypeVar("Choice", bound=StrEnum)


def email(text: str) -> str:
    """A work e-mail address, in lower case: the key people are matched on."""
    value = text.strip().lower()
    if len(value) > MAX_EMAIL or not EMAIL.fullmatch(value):
        raise InvalidInput(
            "That is not an e-mail address; give one such as name@organisation.example."
        )
    return value


def code(text: str, *, what: str = "agency") -> str:
    value = text.strip()
    if not CODE.fullmatch(value):
        raise InvalidInput(
            f"The {what}'s code must be up to 40 letters, digits, hyphens and underscores, "
            "starting with a letter or digit."
        )
    return value


def urn(text: str) -> str:
    value = text.strip()
    if not URN.fullmatch(value):
        raise InvalidInput("A setting's URN is its 6 or 7 digit DfE (or Ofsted) number.")
    return value


def name(text: str, *, what: str = "name") -> str:
    value = " ".join(text.split())
    if not value or len(value) > MAX_NAME:
        raise InvalidInput(f"Give the {what} in 1 to {MAX_NAME} characters.")
    if value.startswith(FORMULA_START):
        raise InvalidInput(
            f"The {what} may not start with =, +, - or @, which spreadsheets run as a formula."
        )
    return value


def choice(text: str, vocabulary: type[Choice], *, what: str) -> Choice:
    """One of ``vocabulary``, typed as its value or in words ("local authority")."""
    value = "_".join(text.strip().lower().replace("-", " ").split())
    try:
        return vocabulary(value)
    except ValueError:
        known = ", ".join(member.value for member in vocabulary)
        raise InvalidInput(f"There is no {what} '{text.strip()}'; use one of {known}.") from None


def roles(given: Iterable[str]) -> frozenset[str]:
    chosen = frozenset(role.strip() for role in given if role.strip())
    unknown = sorted(chosen - set(GIVEN_ROLES))
    if unknown:
        raise InvalidInput(
            f"There is no role {', '.join(unknown)}; use one of {', '.join(GIVEN_ROLES)}."
        )
    return chosen
