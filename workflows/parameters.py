"""What a Run form may carry: references, codes, choices and dates (DESIGN.md decision 12).

Prefect keeps a run's parameters as typed, in its own database, for as long as it keeps the
run. So no parameter names the person acting (a run acts as the configured operator) and
none is free text, where someone could type a child's name: each text parameter is a choice
or has a fixed shape without spaces. Prefect checks the shape when the run is asked for, and
again when the flow starts, whatever the caller asked of the server.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

Reference = Annotated[str, Field(pattern=r"^AUD-[0-9A-Z]{8}$")]
# As states.definitions.programme checks an entry's key.
ProgrammeEntry = Annotated[str, Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=63)]
AgencyCode = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=40)]
# A person in the directory, by address: the chair an audit is given, never who acts.
Email = Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)]
# As states.services.report_store.CHANNELS (a test keeps the two the same).
Channel = Literal["learning_hub", "website", "email"]
Audience = Literal[
    "learning hub members",
    "statutory partners",
    "partner agencies",
    "all schools and settings",
    "practitioners",
    "the public",
]
