"""An audit's terms of reference as its chair and coordinators see them to record and agree:
what is recorded (or, before anything is, the audit's own tool to start from), whether they
may still be changed, whether agreeing them is the audit's next step, and who agreed them.

Recording and agreeing are ``states.services.terms.record_terms`` and the type's own trigger
(``agree_terms_of_reference``, fired by ``states.services.audits.fire``); not every type has
that trigger, and where it has none the terms recorded while planning are simply its terms.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from states.clock import as_utc
from states.definitions.stage_names import Stage
from states.persistence.ids import AuditKey, PersonKey
from states.persistence.store import AuditRow, AuditStore
from states.rules.compiler import CompiledType
from states.services.audit_access import organised_audit
from states.services.audits import compiled_for
from states.services.deps import Deps
from states.services.terms import PARTS, Recorded, terms_of

AGREE = "agree_terms_of_reference"


@dataclass(frozen=True)
class Agreed:
    by: str
    at: datetime


@dataclass(frozen=True)
class TermsPage:
    reference: str
    title: str  # the audit type's
    theme: str
    state_title: str
    version: int  # what agreeing expects: the terms agreed are the ones the page showed
    recorded: Recorded | None
    # Each part as a form starts from: the recorded terms, else the audit's own tool alone.
    starting_values: dict[str, str]
    # Still being planned, so ``record_terms`` would take a change.
    amendable: bool
    # The step that agrees them, by its title, while it is the audit's to take now.
    agree_title: str | None
    agreed: Agreed | None


def terms_page(deps: Deps, *, audit: AuditKey, viewer: PersonKey) -> TermsPage:
    """The terms as the audit's chair and coordinators record and agree them; anyone else
    is refused, as recording them would refuse them."""
    with deps.uow(readonly=True) as uow:
        store = AuditStore(uow.connection)
        row = organised_audit(deps, store, audit, viewer, "record or agree its terms of reference")
        compiled = compiled_for(deps, store, row)
        recorded = terms_of(uow.connection, row.id)
        tool = _tool_title(deps, store, row)
        agreed = _agreed(store, row)
    state = compiled.definition.state(row.state)
    return TermsPage(
        reference=row.reference,
        title=compiled.definition.title,
        theme=row.theme,
        state_title=state.title,
        version=row.version,
        recorded=recorded,
        starting_values=_starting(recorded, tool),
        amendable=state.stage == Stage.PLANNING,
        agree_title=_agree_title(compiled, row),
        agreed=agreed,
    )


def _starting(recorded: Recorded | None, tool: str | None) -> dict[str, str]:
    if recorded is not None:
        return {part: getattr(recorded.terms, part) for part in PARTS}
    return {part: (tool or "") if part == "tool" else "" for part in PARTS}


def _tool_title(deps: Deps, store: AuditStore, row: AuditRow) -> str | None:
    """The audit's own tool, as recording the terms takes it when none is given."""
    if row.tool_hash is None:
        return None
    return deps.catalogue.tool_by_hash(row.tool_hash, store.read_tool_snapshot).title


def _agree_title(compiled: CompiledType, row: AuditRow) -> str | None:
    if AGREE not in compiled.allowed_triggers(row.state):
        return None
    return compiled.transition(reference=row.reference, state=row.state, trigger=AGREE).title


def _agreed(store: AuditStore, row: AuditRow) -> Agreed | None:
    """The last time the terms were agreed (an audit sent back to planning agrees again)."""
    agreeing = [e for e in store.events(row.id) if e.trigger == AGREE]
    if not agreeing:
        return None
    return Agreed(agreeing[-1].actor, as_utc(agreeing[-1].at))
