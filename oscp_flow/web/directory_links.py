"""Addresses of the directory's coordinator pages under the configured base URL's path."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from states.rules.directory import Part


@dataclass(frozen=True)
class DirectoryLinks:
    prefix: str

    @property
    def home(self) -> str:
        return f"{self.prefix}/directory"

    def part(self, part: Part | str) -> str:
        """A part's list; people are listed where they always were, at /people."""
        if str(part) == Part.PEOPLE:
            return f"{self.prefix}/people"
        return f"{self.home}/{part}"

    def entry(self, part: Part | str, key: str) -> str:
        """One agency, setting (by URN) or body (by code), where its forms post."""
        return f"{self.home}/{part}/{quote(key, safe='')}"

    def add(self, part: Part | str) -> str:
        """The form adding an agency, setting, person or body; "add" is no part's name."""
        return f"{self.home}/add/{part}"

    # The change forms are not under the entry's own address: a page's form token is a cookie
    # scoped to each form's path, and the entry page's cookie would be sent along with (and
    # shadow) the change form's, whose page was shown after it.
    def change(self, part: Part | str, key: str) -> str:
        return f"{self.home}/change/{part}/{quote(key, safe='')}"

    def person_change(self, person_id: int) -> str:
        return f"{self.prefix}/people/change/{person_id}"

    def members(self, code: str) -> str:
        return f"{self.entry(Part.BODIES, code)}/members"

    @property
    def log(self) -> str:
        return f"{self.home}/log"

    @property
    def upload(self) -> str:
        return f"{self.home}/import"

    @property
    def confirm(self) -> str:
        return f"{self.home}/import/confirm"

    @property
    def done(self) -> str:
        return f"{self.home}/import/done"

    @property
    def template(self) -> str:
        return f"{self.home}/template.xlsx"
