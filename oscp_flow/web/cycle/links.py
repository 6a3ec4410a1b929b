"""Every address of the audit cycle's pages, in one place.

Pages are read at ``/audits/REF/PART``; each form posts to its own leaf under
``/audits/REF/do/``, and its CSRF cookie is scoped to exactly that address. No form's address
is a prefix of another's, so two pages open in two tabs never send each other's cookie.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote


@dataclass(frozen=True)
class CycleLinks:
    prefix: str

    def _audit(self, reference: str) -> str:
        return f"{self.prefix}/audits/{quote(reference, safe='')}"

    def page(self, reference: str, part: str) -> str:
        """A page of the audit's cycle: ``terms``, ``sample``, ``returns``, ``report``..."""
        return f"{self._audit(reference)}/{part}"

    def post(self, reference: str, verb: str) -> str:
        """Where one form of the audit's cycle posts, and the path its CSRF cookie is for."""
        return f"{self._audit(reference)}/do/{verb}"

    @property
    def start(self) -> str:
        """Starting an audit (``?entry=KEY`` from a programme entry)."""
        return f"{self.prefix}/audits/new"

    @property
    def start_post(self) -> str:
        return f"{self.prefix}/start-audit"

    @property
    def work(self) -> str:
        """The signed-in person's own work: cases to audit, declarations, moderation."""
        return f"{self.prefix}/work"
