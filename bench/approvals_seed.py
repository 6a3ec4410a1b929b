"""The data ``bench.approvals`` decides on: thousands of MACE audits awaiting sign-off, each
with its report frozen and one member's sign-off link minted.

Living a MACE to sign-off through the services takes about a quarter of a second (some 250
events, returns from three agencies, moderation, the report written and frozen on
submission), so thousands would take many minutes. Two audits are lived through the
services (``oscp_flow.rehearsal.walkthrough``, every gate met): one just sent for sign-off,
one on which the learning hub's member and one statutory partner have then approved
(``work.record_sign_off_decision``). Each is then copied in bulk, every row it owns with a
fresh id, as the services would have written it for another audit: a fresh reference (also
in its case references, messages' context and the frozen figures), message keys naming the
new audit, the frozen report's SHA-256 computed again for the new reference, and the
auditors' declarations for the new case references. No link is copied: each audit's link is
minted for its member through ``minting.mint``, as the relay does when it sends the e-mail,
and the token it returns is the one the member's client opens.
"""

from __future__ import annotations

import functools
import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, Table, func, insert, select
from sqlmodel import SQLModel

from oscp_flow.rehearsal.demo import email, load_demo_partnership
from oscp_flow.rehearsal.walkthrough import rehearse
from states.persistence import tables as t
from states.persistence.calendar_holding import ENTRY_KEY
from states.persistence.store import AuditStore
from states.persistence.vocabulary import LinkPurpose
from states.services import minting, work
from states.services.deps import Deps
from states.services.report_store import SUMMARY, parse_narrative, summary_hash
from states.services.starting import new_reference

CHUNK = 5_000
COMMENT = "Evidence how the health recommendations will be resourced before approving."
# Rows an audit owns that are not copied: its links are minted afresh, and a rehearsed audit
# has no programme entry.
NOT_COPIED = frozenset({"action_token", "token_event", "programme_entry", "programme_occurrence"})
# Messages whose subject is the audit's round (or nothing), not another row's id: keyed
# "kind:audit:round:recipient", the audit's id is all a copy changes.
ROUND_SUBJECTS = frozenset({"audit_started", "return_requested", "sign_off_requested"})
# Messages about a deadline's calendar entry: keyed and subjected by the entry, not the round.
ENTRY_SUBJECTS = frozenset({"deadline_cancelled", "deadline_moved"})


class Outcome(StrEnum):
    """What a member's decision does, as the page after it says."""

    APPROVE_WAITING = "approve_waiting"  # the learning hub's approval; partners still to decide
    APPROVE_MOVED = "approve_moved"  # the second partner's approval signs the audit off
    REFUSE_MOVED = "refuse_moved"  # a partner refuses: sent back for further assurance


# Who decides for each outcome, how, and the state the audit is left in.
DECIDER = {
    Outcome.APPROVE_WAITING: "lhm",
    Outcome.APPROVE_MOVED: "lsp.council",
    Outcome.REFUSE_MOVED: "lsp.health",
}
AFTER = {
    Outcome.APPROVE_WAITING: "awaiting_sign_off",
    Outcome.APPROVE_MOVED: "actions_agreed",
    Outcome.REFUSE_MOVED: "further_assurance_requested",
}


@dataclass(frozen=True)
class Decision:
    """One member's decision on one audit, by the link minted for them."""

    audit_id: int
    person_id: int
    token: str
    outcome: Outcome

    @property
    def form(self) -> dict[str, str]:
        if self.outcome == Outcome.REFUSE_MOVED:
            return {"decision": "refuse", "comment": COMMENT}
        return {"decision": "approve", "comment": ""}


def outcomes(audits: int, *, moved_share: float, seed: int = 7) -> list[Outcome]:
    """Mostly an approval that waits for others; a share signs off and as many refuse."""
    rng = random.Random(seed)
    chosen = []
    for _ in range(audits):
        draw = rng.random()
        if draw < moved_share:
            chosen.append(Outcome.APPROVE_MOVED)
        elif draw < 2 * moved_share:
            chosen.append(Outcome.REFUSE_MOVED)
        else:
            chosen.append(Outcome.APPROVE_WAITING)
    return chosen


# --- living the two templates -----------------------------------------------------------------


def templates(deps: Deps) -> dict[bool, int]:
    """The two lived audits, by whether two members have approved already."""
    load_demo_partnership(deps)
    fresh = rehearse(deps, "mace", goal="awaiting_sign_off").reference
    half = rehearse(deps, "mace", goal="awaiting_sign_off").reference
    for member in ("lhm", "lsp.police"):
        work.record_sign_off_decision(deps, audit=half, actor=email(member), decision="approve")
    with deps.uow(readonly=True) as uow:
        store = AuditStore(uow.connection)
        return {False: store.load_audit(fresh).id, True: store.load_audit(half).id}


# --- copying one audit's rows -----------------------------------------------------------------


@functools.cache
def owned_tables() -> tuple[Table, ...]:
    """The tables holding an audit's rows, parents first: the audit's own, and every table
    whose rows hang from one of those."""
    owned: list[Table] = []
    for table in SQLModel.metadata.sorted_tables:
        parents = {fk.column.table.name for fk in table.foreign_keys}
        if table.name in NOT_COPIED:
            continue
        if table is t.audit or parents & {o.name for o in owned}:
            owned.append(table)
    return tuple(owned)


@dataclass(frozen=True)
class Part:
    """One table's rows of a template, and how a copy rewrites them: the text columns that
    name the template's reference, and the columns pointing at rows the copy renumbers."""

    table: Table
    rows: list[dict[str, Any]]
    named: tuple[str, ...]
    pointing: tuple[tuple[str, str], ...]  # (column, the table it points into)


@dataclass(frozen=True)
class Template:
    """One lived audit's rows, read once, copied many times."""

    reference: str
    parts: tuple[Part, ...]  # parents first, the conflict declarations last


def read_template(c: Connection, audit_id: int) -> Template:
    parts: list[Part] = []
    ids: dict[str, list[int]] = {}
    reference = c.execute(select(t.audit.c.reference).where(t.audit.c.id == audit_id)).scalar_one()
    for table in owned_tables():
        statement = select(table).where(_belongs(table, audit_id, ids))
        found = [dict(r) for r in c.execute(statement.order_by(*table.primary_key)).mappings()]
        parts.append(_part(table, found, reference))
        if "id" in table.c:
            ids[table.name] = [r["id"] for r in found]
    # An auditor's declaration names the case by its reference, which holds the audit's.
    d = t.conflict
    declared = c.execute(select(d).where(d.c.case_reference.startswith(f"{reference}-")))
    parts.append(_part(d, [dict(r) for r in declared.mappings()], reference))
    template = Template(reference, tuple(parts))
    _check_copyable(template, audit_id)
    return template


def _part(table: Table, rows: list[dict[str, Any]], reference: str) -> Part:
    named = {k for row in rows for k, v in row.items() if isinstance(v, str) and reference in v}
    owned = {o.name for o in owned_tables()}
    pointing = tuple(
        (fk.parent.name, fk.column.table.name)
        for fk in table.foreign_keys
        if fk.column.table.name in owned
    )
    return Part(table, rows, tuple(sorted(named)), pointing)


def _belongs(table: Table, audit_id: int, ids: dict[str, list[int]]) -> Any:
    if table is t.audit:
        return table.c.id == audit_id
    if "audit_id" in table.c:
        return table.c.audit_id == audit_id
    fk = next(fk for fk in table.foreign_keys if fk.column.table.name in ids)
    return fk.parent.in_(ids[fk.column.table.name])


def _check_copyable(template: Template, audit_id: int) -> None:
    """Refuse a template holding rows this copy would not rewrite as the services would."""
    rows = {part.table.name: part.rows for part in template.parts}
    assert rows[t.audit.name][0]["request_key"] is None, "a rehearsed audit has no request key"
    for message in rows[t.outbox.name]:
        kind = message["kind"]
        assert kind in ROUND_SUBJECTS | ENTRY_SUBJECTS, f"cannot copy a {kind} message"
        subject = message["subject_id"] if kind in ENTRY_SUBJECTS else audit_id
        assert message["key"].startswith(f"{kind}:{subject}:"), message["key"]


class Copier:
    """Copies templates into a store: fresh ids from each table's highest, rows inserted
    some thousands at a time, every table in order, so parents go in before children."""

    def __init__(self, c: Connection) -> None:
        self.c = c
        self.tables = (*owned_tables(), t.conflict)
        self.next_id = {
            table.name: int(c.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one())
            for table in self.tables
            if "id" in table.c
        }
        self.pending: dict[str, list[dict[str, Any]]] = {table.name: [] for table in self.tables}

    def copy(self, template: Template) -> int:
        """One copy of the template; returns the new audit's id."""
        names = Names(template.reference, new_reference())
        # Every new id first: a message names its calendar entry, in whatever order they come.
        for part in template.parts:
            if "id" in part.table.c:
                names.ids[part.table.name] = {r["id"]: self._new_id(part.table) for r in part.rows}
        for part in template.parts:
            self.pending[part.table.name] += [_rewritten(part, r, names) for r in part.rows]
        if sum(len(rows) for rows in self.pending.values()) >= CHUNK:
            self.flush()
        return names.audit_id

    def _new_id(self, table: Table) -> int:
        self.next_id[table.name] += 1
        return self.next_id[table.name]

    def flush(self) -> None:
        for table in self.tables:
            if self.pending[table.name]:
                self.c.execute(insert(table), self.pending[table.name])
                self.pending[table.name] = []

    def done(self) -> None:
        """The rest inserted; on PostgreSQL each id sequence moved past the ids given here,
        so the services' own inserts that follow take fresh ones (SQLite takes the highest)."""
        self.flush()
        if self.c.dialect.name != "postgresql":
            return
        for table in self.tables:
            last = self.next_id.get(table.name, 0)
            if last:
                sequence = func.pg_get_serial_sequence(table.name, "id")
                self.c.execute(select(func.setval(sequence, last)))


@dataclass(frozen=True)
class Names:
    """What a copy renames: the template's reference, the copy's, and each row's new id."""

    old: str
    new: str
    ids: dict[str, dict[int, int]] = field(default_factory=dict)

    @property
    def audit_id(self) -> int:
        return next(iter(self.ids[t.audit.name].values()))


def _rewritten(part: Part, row: dict[str, Any], names: Names) -> dict[str, Any]:
    out = dict(row)
    for column in part.named:
        if row[column] is not None:
            out[column] = row[column].replace(names.old, names.new)
    for column, target in part.pointing:
        if row[column] is not None:
            out[column] = names.ids[target][row[column]]
    if "id" in row:
        out["id"] = names.ids[part.table.name][row["id"]]
    if part.table is t.outbox:
        _message_rewritten(row, out, names)
    elif part.table is t.report and row["content_hash"] is not None and row["kind"] == SUMMARY:
        words = parse_narrative(row["narrative"])
        out["content_hash"] = summary_hash(names.new, row["version"], words, out["figures"])
    return out


def _message_rewritten(row: dict[str, Any], out: dict[str, Any], names: Names) -> None:
    """A message's key, subject and calendar entry as the services would have written them
    for the copy: a round's under the copy's audit id, an entry's under the copy's entry."""
    entries = names.ids.get(t.deadline_entry.name, {})
    kind = row["kind"]
    by_entry = kind in ENTRY_SUBJECTS
    old = row["subject_id"] if by_entry else row["audit_id"]
    new = entries[old] if by_entry else names.audit_id
    if by_entry:
        out["subject_id"] = new
    out["key"] = f"{kind}:{new}:{row['key'][len(f'{kind}:{old}:') :]}"
    context = json.loads(out["context"])
    if ENTRY_KEY in context:
        context[ENTRY_KEY] = str(entries[int(context[ENTRY_KEY])])
        out["context"] = json.dumps(context, sort_keys=True)


def check_hash(template: Template) -> None:
    """The hash computed again for the template itself is the one the services stored, so
    the copies' hashes are the ones they would store."""
    reports = next(part.rows for part in template.parts if part.table is t.report)
    for row in reports:
        if row["content_hash"] is not None and row["kind"] == SUMMARY:
            words = parse_narrative(row["narrative"])
            again = summary_hash(template.reference, row["version"], words, row["figures"])
            assert again == row["content_hash"], "the frozen report's hash is not reproduced"


# --- the whole seed -----------------------------------------------------------------------------


def seed(
    deps: Deps, plan: list[Outcome], step: Callable[[int], None] | None = None
) -> list[Decision]:
    """Audits for ``plan`` (the two lived ones among them), each with its member's link."""
    lived = templates(deps)
    with deps.uow() as uow:
        read = {half: read_template(uow.connection, audit) for half, audit in lived.items()}
        for template in read.values():
            check_hash(template)
        copier = Copier(uow.connection)
        spare = dict(lived)
        audit_ids = []
        for n, outcome in enumerate(plan):
            half = outcome == Outcome.APPROVE_MOVED
            reused = spare.pop(half, None)
            audit_ids.append(reused if reused is not None else copier.copy(read[half]))
            if step is not None and n % 100 == 99:
                step(100)
        copier.done()
        uow.commit()
    return list(_minted(deps, plan, audit_ids))


def _minted(deps: Deps, plan: list[Outcome], audit_ids: list[int]) -> Iterator[Decision]:
    with deps.uow(readonly=True) as uow:
        store = AuditStore(uow.connection)
        people = {o: store.load_actor(email(DECIDER[o])).id for o in Outcome}
    for outcome, audit_id in zip(plan, audit_ids, strict=True):
        token = minting.mint(
            deps, purpose=LinkPurpose.SIGN_OFF, audit_id=audit_id, person_id=people[outcome]
        )
        assert token is not None, "a sign-off link could not be minted"
        yield Decision(audit_id, people[outcome], token, outcome)
