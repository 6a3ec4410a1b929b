"""How the engine names its rows: ids as the store hands them out, and the keys people type.

Ids read from the store are ``AuditId``, ``PersonId`` and ``AgencyId``: plain integers to the
database and at run time, distinct types to mypy, so a person's id passed where an audit's is
meant is a type error rather than a lookup of the wrong row.

A service takes an audit by its reference as people type it (``AUD-…``) or by the id the
engine already holds, and a person by e-mail address or id; ``AuditKey`` and ``PersonKey``
name those two meanings once, and ``AuditStore.load_audit`` and ``load_actor`` resolve them.
Their id half is any ``int`` for now: narrowing it to ``AuditId`` and ``PersonId`` makes every
caller holding a bare integer (a token's, a reminder's, a test's) say which id it has.
"""

from __future__ import annotations

from typing import NewType

AuditId = NewType("AuditId", int)
PersonId = NewType("PersonId", int)
AgencyId = NewType("AgencyId", int)

# An audit's reference ("AUD-…"; digits alone are taken as its id) or its id.
AuditKey = str | int
# A person's e-mail address or id.
PersonKey = str | int
