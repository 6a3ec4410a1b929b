"""What the flows run against: the engine's dependencies and the mailer, built once per process.

Prefect runs a deployment's flow in a fresh process that imports only the flow's module, so
the flows cannot be handed their dependencies. Instead the process that serves them names a
factory in ``OSCP_FLOW_RUNTIME`` (``module:function``), and the first flow to run builds the
runtime from it. Tests and the worker install a runtime directly.
"""

from __future__ import annotations

import importlib
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass

from notifications.relay import RelayConfig
from notifications.smtp import Mailer
from states.errors import AuditEngineError
from states.services.deps import Deps

FACTORY_VARIABLE = "OSCP_FLOW_RUNTIME"


@dataclass(frozen=True)
class CalendarPeople:
    """Who starts the calendar work (a coordinator) and who writes it."""

    coordinator: str
    lead: str


@dataclass(frozen=True)
class Runtime:
    deps: Deps
    mailer: Mailer
    relay_config: RelayConfig
    # The coordinator that runs people start through Prefect act as (OSCP_PREFECT_OPERATOR).
    operator: str | None = None
    # The calendar work's people (OSCP_CALENDAR_*), the same whether the worker ticks it
    # directly or as a flow run.
    calendar: CalendarPeople | None = None

    def configured_operator(self) -> str:
        if not self.operator:
            raise OperatorMissing()
        return self.operator

    def configured_calendar(self) -> CalendarPeople:
        if self.calendar is None:
            raise CalendarPeopleMissing()
        return self.calendar


class RuntimeMissing(AuditEngineError):
    def __init__(self) -> None:
        super().__init__(
            "The flows have no engine to run against; start them with `oscp up` or "
            f"`oscp flows serve`, or set {FACTORY_VARIABLE} to a runtime factory."
        )


class OperatorMissing(AuditEngineError):
    def __init__(self) -> None:
        super().__init__(
            "No operator is set for runs started through Prefect; set OSCP_PREFECT_OPERATOR "
            "to a coordinator's e-mail where the flows are served, then run it again."
        )


class CalendarPeopleMissing(AuditEngineError):
    def __init__(self) -> None:
        super().__init__(
            "Nobody is set to start the calendar work; set OSCP_CALENDAR_COORDINATOR and "
            "OSCP_CALENDAR_LEAD where the flows are served, then run it again."
        )


_lock = threading.Lock()
_installed: list[Runtime] = []


def install(runtime: Runtime | None) -> None:
    """Use ``runtime`` for every flow in this process (None forgets it)."""
    with _lock:
        _installed.clear()
        if runtime is not None:
            _installed.append(runtime)


def current() -> Runtime:
    with _lock:
        if not _installed:
            _installed.append(_from_environment())
        return _installed[0]


def _from_environment() -> Runtime:
    named = os.environ.get(FACTORY_VARIABLE, "")
    module_name, _, attribute = named.partition(":")
    if not module_name or not attribute:
        raise RuntimeMissing()
    factory: Callable[[], Runtime] = getattr(importlib.import_module(module_name), attribute)
    return factory()
