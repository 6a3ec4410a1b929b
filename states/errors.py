"""One error taxonomy for the whole engine.

Every error a person can cause is an ``AuditEngineError`` whose message is one plain
sentence saying what went wrong and what to do next; adapters (CLI, web, flows) translate
these into exit codes, 4xx pages or non-retried failures. Context is kept as attributes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta


class AuditEngineError(Exception):
    """Root of every error the engine raises on purpose."""

    retryable = False


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a definition file, located as precisely as YAML allows."""

    file: str
    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}, line {self.line}"
        inside = f" at {self.path}" if self.path else ""
        return f"{where}{inside}: {self.message}"


class DefinitionError(AuditEngineError):
    """A definition file is unreadable or breaks a rule; nothing from it was stored."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        first = str(self.problems[0])
        more = len(self.problems) - 1
        suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        super().__init__(f"{first}{suffix}; fix the file and validate it again.")


class UnknownAuditType(AuditEngineError):
    def __init__(self, audit_type: str, known: Sequence[str]) -> None:
        self.audit_type = audit_type
        super().__init__(
            f"There is no audit type called '{audit_type}'; choose one of: {', '.join(known)}."
        )


class NotFound(AuditEngineError):
    """A record the caller named does not exist (or is not theirs to see)."""

    def __init__(self, what: str, key: object) -> None:
        self.what = what
        self.key = key
        super().__init__(f"No {what} '{key}' was found; check the reference and try again.")


class TransitionNotAllowed(AuditEngineError):
    def __init__(self, *, audit: str, trigger: str, state: str, allowed: Sequence[str]) -> None:
        self.audit = audit
        self.trigger = trigger
        self.state = state
        self.allowed = tuple(allowed)
        options = ", ".join(self.allowed) if self.allowed else "none (the audit is closed)"
        super().__init__(
            f"Audit {audit} is '{state}', where '{trigger}' is not allowed; allowed now: {options}."
        )


@dataclass(frozen=True)
class GateFailure:
    gate: str
    reason: str


class GateBlocked(AuditEngineError):
    """Every gate that failed is listed, so a person can fix them all at once."""

    def __init__(self, *, audit: str, trigger: str, failures: Sequence[GateFailure]) -> None:
        self.audit = audit
        self.trigger = trigger
        self.failures = tuple(failures)
        reasons = "; ".join(f"{f.gate}: {f.reason}" for f in self.failures)
        super().__init__(f"Audit {audit} cannot '{trigger}' yet: {reasons}.")


class ConcurrencyConflict(AuditEngineError):
    """Someone else changed the audit first; reload and decide again."""

    retryable = True

    def __init__(self, *, audit: str, expected_version: int | None = None) -> None:
        self.audit = audit
        self.expected_version = expected_version
        super().__init__(
            f"Audit {audit} was changed by someone else at the same moment; "
            "reload it and try again if the action is still needed."
        )


class AuditorConflicted(AuditEngineError):
    def __init__(self, *, auditor: str, case: str) -> None:
        self.auditor = auditor
        self.case = case
        super().__init__(
            f"{auditor} declared involvement in case {case}, so cannot audit it; "
            "assign an independent auditor."
        )


class InvalidInput(AuditEngineError):
    """A value given to a command is not acceptable."""


@dataclass(frozen=True)
class RowProblem:
    """One thing wrong with one line of a file a person supplied (never the cell's value)."""

    line: int
    message: str


class CaseListRejected(InvalidInput):
    """A cases list breaks the rules; every problem is listed with its lines, the same problem
    on many lines once, and nothing from the file was stored."""

    def __init__(self, name: str, problems: Sequence[RowProblem]) -> None:
        self.name = name
        self.problems = tuple(problems)
        lines: dict[str, list[int]] = {}
        for problem in self.problems:
            lines.setdefault(problem.message, []).append(problem.line)
        listed = "; ".join(f"{_lines(found)}: {message}" for message, found in lines.items())
        super().__init__(
            f"{name}, {listed}. Nothing was stored; correct the file and run the command again."
        )


def _lines(numbers: Sequence[int], shown: int = 10) -> str:
    """'line 4', 'lines 2-5, 9' or, past ``shown`` runs, '... and 40 more lines'."""
    runs: list[list[int]] = []
    for n in sorted(set(numbers)):
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    text = ", ".join(f"{r[0]}-{r[-1]}" if len(r) > 1 else f"{r[0]}" for r in runs[:shown])
    rest = sum(len(r) for r in runs[shown:])
    more = f" and {rest} more line{'s' if rest > 1 else ''}" if rest else ""
    word = "line" if len(runs) == 1 and len(runs[0]) == 1 else "lines"
    return f"{word} {text}{more}"


@dataclass(frozen=True)
class DirectoryProblem:
    """One thing wrong in a directory file: where (a sheet or a CSV file, None for the file as
    a whole), the row and the column where they apply, and what to do about it."""

    where: str | None
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        located = [self.where] if self.where else []
        located += [f"row {self.row}"] if self.row is not None else []
        located += [f"column '{self.column}'"] if self.column else []
        return f"{', '.join(located)}: {self.message}" if located else self.message


class DirectoryRejected(InvalidInput):
    """A directory file breaks the rules; every problem is listed and nothing was stored."""

    def __init__(self, problems: Sequence[DirectoryProblem]) -> None:
        self.problems = tuple(problems)
        count = len(self.problems)
        listed = "; ".join(str(p) for p in self.problems[:3])
        more = f" (and {count - 3} more)" if count > 3 else ""
        super().__init__(
            f"The directory was not imported and nothing was saved, because of {count} "
            f"problem{'s' if count != 1 else ''}: {listed}{more}."
        )


class StoreUnavailable(AuditEngineError):
    """The database cannot be used just now (``states.persistence.db.store_error`` says why).

    ``cause`` names the reason in a word, so a log can say each cause once rather than once
    per message. ``retryable`` is whether waiting may mend it (a lost or refused connection,
    a busy file); a read-only file, a full disk, a wrong database name or login need a person
    first, so nothing retries them, and nothing counts them against a message either.
    """

    retryable = True

    def __init__(self, message: str, *, cause: str = "unavailable", retryable: bool = True) -> None:
        super().__init__(message)
        self.cause = cause
        self.retryable = retryable


@dataclass(frozen=True)
class AnswerProblem:
    """One answer that cannot be taken as it stands: its question, and what is wrong."""

    question_id: str
    message: str

    def __str__(self) -> str:
        return f"{self.question_id}: {self.message}"


class ReturnIncomplete(AuditEngineError):
    """A return cannot be saved or submitted as it stands; every question at fault is listed."""

    def __init__(self, *, what: str, problems: Sequence[AnswerProblem]) -> None:
        self.problems = tuple(problems)
        count = len(self.problems)
        listed = "; ".join(str(p) for p in self.problems[:5])
        more = f" (and {count - 5} more)" if count > 5 else ""
        super().__init__(
            f"The {what} has {count} answer{'s' if count != 1 else ''} to fix: {listed}{more}."
        )


class ReturnLocked(AuditEngineError):
    def __init__(self, *, audit: str, case: str | None = None) -> None:
        which = "This return" if case is None else f"The return for case {case}"
        super().__init__(
            f"{which} on audit {audit} was submitted and is locked; ask the coordinator "
            "to reopen it if it must change."
        )


class ReturnsClosed(AuditEngineError):
    def __init__(self, *, audit: str, state: str) -> None:
        super().__init__(
            f"Audit {audit} is '{state}', where returns are not open; contact the coordinator."
        )


class TokenError(AuditEngineError):
    """A link that cannot be used; the page says what to do instead."""


class TokenInvalid(TokenError):
    def __init__(self) -> None:
        super().__init__(
            "This link is not recognised; use the most recent e-mail, or ask the audit's "
            "coordinator for a new link."
        )


class TokenExpired(TokenError):
    def __init__(self) -> None:
        super().__init__("This link has expired; ask the audit's coordinator for a new one.")


class TokenRevoked(TokenError):
    def __init__(self, because: str = "the audit has moved on to another stage") -> None:
        super().__init__(
            f"This link is no longer needed: {because}. "
            "Contact the audit's coordinator if you still need to act."
        )


class TokenAlreadyUsed(TokenError):
    def __init__(self) -> None:
        super().__init__(
            "This link has already been used, so nothing more was recorded. Contact the "
            "audit's coordinator if that was not you."
        )


class AlreadyDecided(AuditEngineError):
    """A sign-off member decides a second time (by another link, say a reminder's): the first
    decision stands."""

    def __init__(self, *, audit: str) -> None:
        self.audit = audit
        super().__init__(
            f"You have already recorded your decision on audit {audit}, so nothing more was "
            "recorded. Contact the audit's coordinator if it must change."
        )


class PermissionDenied(AuditEngineError):
    """The person may not do this at all (not a matter of what they typed)."""


class NotOperational(PermissionDenied):
    """A step that is a person's decision was asked of a channel that carries no person
    (a run started through Prefect); the person takes it where they sign in or by link."""

    def __init__(self, *, trigger: str, allowed: Sequence[str]) -> None:
        self.trigger = trigger
        self.allowed = tuple(allowed)
        super().__init__(
            f"'{trigger}' is a person's decision, so it is not taken through Prefect; take it "
            f"with `oscp audit fire` or on the audit's page (Prefect may: {', '.join(allowed)})."
        )


# --- signing in (``states.rules.passwords``, ``states.services.sign_ins``) ---------------------


class NoSignIn(AuditEngineError):
    def __init__(self, email: str) -> None:
        super().__init__(
            f"{email} is not a coordinator or learning hub member, so cannot sign in; "
            "agencies act by the links in their e-mails."
        )


class WeakPassword(AuditEngineError):
    """A password refused before it is stored."""


class TooSoon(AuditEngineError):
    """Wrong passwords from here for this address: the next try must wait ``wait``."""

    def __init__(self, wait: timedelta) -> None:
        self.wait = wait
        super().__init__(
            "Several wrong passwords have been tried for this e-mail address from here; "
            "wait a moment before trying again."
        )


class HashingBusy(AuditEngineError):
    """Every hashing slot is taken: the server is flooded with sign-ins."""

    retryable = True

    def __init__(self) -> None:
        super().__init__("Signing in is busy just now; try again in a minute.")


class IdentitySignInRefused(AuditEngineError):
    """Signing in through an organisation's identity provider did not go ahead; the sentence
    says why and what to do instead (the password form stays on the sign-in page)."""


class SignInAttemptInvalid(IdentitySignInRefused):
    """The provider sent back a sign-in this browser did not start here, one already used or
    one begun too long ago: all alike, so a replayed address learns nothing."""

    def __init__(self) -> None:
        super().__init__(
            "This sign-in has already been used, was started in another browser or took too "
            "long; start again from the sign-in page."
        )


class EmailNotVerified(IdentitySignInRefused):
    def __init__(self) -> None:
        super().__init__(
            "Your organisation's account does not confirm its e-mail address, so it cannot be "
            "matched to the partnership's directory; ask your IT team to confirm it, or sign in "
            "with your password."
        )


class NotInDirectory(PermissionDenied):
    """Unknown, removed or without a role that signs in: one sentence for all three, as the
    password form gives one refusal whoever typed what."""

    def __init__(self) -> None:
        super().__init__(
            "Your organisation's account is not one that can sign in here; ask the "
            "partnership's coordinator to add you (agencies act by the links in their e-mails)."
        )


class IdentityNotProven(IdentitySignInRefused):
    """The provider's answer did not prove who the person is (a token that failed a check,
    or the provider refused or was cancelled)."""

    def __init__(self, label: str) -> None:
        super().__init__(
            f"{label} did not confirm who you are, so you have not been signed in; try again, "
            "or sign in with your password."
        )


class ProviderUnreachable(IdentitySignInRefused):
    retryable = True

    def __init__(self, label: str) -> None:
        super().__init__(
            f"{label} could not be reached; try again in a few minutes, or sign in with your "
            "password."
        )
