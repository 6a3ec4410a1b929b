"""The kinds of body that decide, or that the programme reports to, as definitions name them.

The directory keeps the bodies themselves and their members (``states.services.bodies``); a
definition's ``sign_off`` names them by kind, so a type says "the learning hub and the
statutory partners" without knowing who sits on either.
"""

from __future__ import annotations

from enum import StrEnum


class BodyKind(StrEnum):
    """Groups that decide or that the programme reports to."""

    LEARNING_HUB = "learning_hub"
    STATUTORY_PARTNERS = "statutory_partners"  # one named lead per statutory partner
    PERFORMANCE_GROUP = "performance_group"
    SUBGROUP = "subgroup"


# The most members a kind of body can have, where the directory's rules fix it: the statutory
# partners body has one lead for each of the three statutory partners (the local authority,
# the police and the integrated care board). A quorum above it could never be reached.
MOST_MEMBERS: dict[BodyKind, int] = {BodyKind.STATUTORY_PARTNERS: 3}

TITLES: dict[BodyKind, str] = {
    BodyKind.LEARNING_HUB: "the learning hub",
    BodyKind.STATUTORY_PARTNERS: "the statutory partners",
    BodyKind.PERFORMANCE_GROUP: "the performance group",
    BodyKind.SUBGROUP: "a subgroup",
}
