"""What an audit type must share once its report is signed off, and by which channels.

The framework: "The outcome of each audit will be disseminated through the learning hub, OSCP
website and practitioner learning on a page or 7-minute briefings." Each type lists the items
it shares (``dissemination.items``), each with the channels it may go by, from one vocabulary
(``Channel``); the ``dissemination_recorded`` gate holds the way out of its disseminating
state until every item is recorded as shared, on a real date. Whether the checks are the
framework's or the partnership's own is said in the block's ``description``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints


class Channel(StrEnum):
    """How learning reaches people: the partnership's own vocabulary, one word per way."""

    LEARNING_HUB_MEETING = "learning_hub_meeting"
    STATUTORY_PARTNERS_MEETING = "statutory_partners_meeting"
    SUBGROUP_MEETING = "subgroup_meeting"
    PARTNERSHIP_WEBSITE = "partnership_website"
    NEWSLETTER = "newsletter"
    EMAIL_TO_AGENCIES = "email_to_agencies"
    EMAIL_TO_SETTINGS = "email_to_settings"
    BRIEFING_SESSION = "briefing_session"
    PRACTITIONER_EVENT = "practitioner_event"
    TRAINING_PROGRAMME = "training_programme"
    REGIONAL_SUBMISSION = "regional_submission"
    FEEDBACK_TO_PARTICIPANTS = "feedback_to_participants"


ItemId = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,62}$"),
    Field(description="Lower-case letters, digits and underscores, starting with a letter."),
]
Text = Annotated[str, StringConstraints(min_length=1, max_length=2000, strip_whitespace=True)]
# Not strict: YAML gives a channel as its name, which names exactly one member or none.
ChannelName = Annotated[Channel, Field(strict=False)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True, strict=True)


class DisseminationItem(_Strict):
    """One thing the type must share, e.g. the 7-minute briefing."""

    id: ItemId = Field(description="How the item is named when it is recorded as shared.")
    title: Text
    channels: list[ChannelName] = Field(
        min_length=1, description="The ways it may be shared; recording another is refused."
    )
    description: str = ""


class DisseminationDef(_Strict):
    """Everything the type must share before its impact is monitored (or it is closed)."""

    description: Text = Field(
        description="Where these items come from: the framework's words, or that the choice "
        "is the partnership's own where the framework is silent."
    )
    items: list[DisseminationItem] = Field(min_length=1)

    def item(self, item_id: str) -> DisseminationItem:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)
