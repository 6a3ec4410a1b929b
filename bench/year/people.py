"""Everyone who acts by e-mailed link: agency and setting leads sending their returns and their
actions' evidence, sign-off members deciding, strategic leads giving assurance on a concern.

Each reads their e-mail after the worker has sent it, and acts some working days later, at
a time of day of their own: most well before the deadline, some late enough that reminders,
overdue notices and escalations go out first, a few very late. A member of a body may not get
round to a sign-off until reminded; some statutory partners refuse the first time. Acting is
what the link's page does (the same services, with the token from the e-mail); a link that is
no longer needed (used, replaced, the audit moved on) is refused as the page would refuse it,
and the person goes about their day.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, time
from enum import StrEnum

from bench.year.answers import answers_for
from bench.year.mailbox import Letter
from states.clock import LONDON
from states.errors import AuditEngineError
from states.persistence.vocabulary import ReturnStatus
from states.services import action_links, links
from states.services.deps import Deps

AUDIT = re.compile(r"OSCP audit (AUD-[0-9A-Z]+)")
CONCERN_SHARE = 0.01  # of returns raising an immediate-risk concern
REFUSING = 0.12  # of first sign-off rounds a statutory partner refuses
ACTING_ON_REQUEST = 0.6  # of members who decide before any reminder


class Errand(StrEnum):
    RETURN = "return"
    SIGN_OFF = "sign-off"
    ASSURANCE = "assurance"
    ACTION = "action evidence"


FIRST_ASKED = (
    ("Action needed by", Errand.RETURN),
    ("Sign-off requested", Errand.SIGN_OFF),
    ("Immediate-risk concern", Errand.ASSURANCE),
    ("Action for ", Errand.ACTION),
    ("More evidence needed", Errand.ACTION),
)


@dataclass
class Task:
    person: str
    audit: str
    errand: Errand
    token: str
    done: bool = False


def asked(letter: Letter) -> Errand | None:
    return next((e for prefix, e in FIRST_ASKED if letter.subject.startswith(prefix)), None)


class People:
    def __init__(self, deps: Deps, rng: random.Random) -> None:
        self.deps = deps
        self.rng = rng
        self.open: dict[tuple[str, str], Task] = {}  # by (person, audit): their latest errand
        self.refused_once: set[str] = set()
        self.done: Counter[Errand] = Counter()
        self.not_needed: Counter[str] = Counter()

    def read(self, letter: Letter) -> tuple[datetime, Task] | None:
        """What the reader will do about ``letter``, and when; None when nothing (yet)."""
        found = AUDIT.search(letter.subject)
        if letter.token is None or found is None:
            return None
        key = (letter.to, found.group(1))
        errand = asked(letter)
        if errand is None:  # a chaser: its link replaces the one they were keeping
            task = self.open.get(key)
            if task is None or task.done:
                return None
            task.token = letter.token
            return self._when(letter.sent, chased=True), task
        task = Task(letter.to, found.group(1), errand, letter.token)
        self.open[key] = task
        if errand is Errand.SIGN_OFF and self.rng.random() > ACTING_ON_REQUEST:
            return None  # left until a reminder comes
        return self._when(letter.sent, chased=False), task

    def _when(self, sent: datetime, *, chased: bool) -> datetime:
        roll = self.rng.random()
        if chased:
            days = self.rng.randint(1, 3)
        elif roll < 0.85:
            days = self.rng.randint(1, 14)
        elif roll < 0.97:
            days = self.rng.randint(18, 28)
        else:
            days = self.rng.randint(30, 40)
        day = self.deps.calendar.add_working_days(sent.astimezone(LONDON).date(), days)
        at = time(self.rng.randint(9, 16), self.rng.choice((0, 15, 30, 45)))
        return datetime.combine(day, at, LONDON)

    def act(self, task: Task) -> None:
        if task.done:
            return
        try:
            self._do(task)
        except AuditEngineError as refused:  # the page would say why; they move on
            self.not_needed[type(refused).__name__] += 1
        else:
            self.done[task.errand] += 1
        task.done = True

    def _do(self, task: Task) -> None:
        if task.errand is Errand.RETURN:
            self._return(task.token)
        elif task.errand is Errand.SIGN_OFF:
            self._decide(task)
        elif task.errand is Errand.ASSURANCE:
            links.give_assurance(
                self.deps,
                task.token,
                assurance="A senior manager reviewed the plan today and it is now in place.",
            )
        else:
            action_links.submit_evidence_by_link(
                self.deps,
                task.token,
                evidence="Minutes sampled for the quarter show every agency received them.",
            )

    def _return(self, token: str) -> None:
        page = links.link_page_returns(self.deps, token)
        assert page.tool is not None
        for case, view in zip(page.cases, page.returns, strict=True):
            if view.status == ReturnStatus.SUBMITTED:
                continue
            concern = self.rng.random() < CONCERN_SHARE
            answers = answers_for(page.tool, page.phase, self.rng, concern=concern)
            links.save_return(self.deps, token, case=case, answers=answers, submit=True)

    def _decide(self, task: Task) -> None:
        partner = task.person.startswith("partner.")
        if partner and task.audit not in self.refused_once and self.rng.random() < REFUSING:
            self.refused_once.add(task.audit)
            links.decide_sign_off(
                self.deps,
                task.token,
                decision="refuse",
                comment="Please evidence how the recommendations will be resourced.",
            )
            return
        links.decide_sign_off(self.deps, task.token, decision="approve", comment=None)
