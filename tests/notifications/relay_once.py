"""One relay round in a process of its own, for the crash test to kill with ``kill -9``.

Usage: relay_once.py DATABASE_URL SMTP_PORT NOW_ISO — prints the round's counts as JSON.
The clock is fixed at NOW so the test, not the wall clock, decides what is due.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass
from datetime import datetime

from notifications.relay import relay
from notifications.smtp import SmtpMailer
from states.clock import FakeClock
from states.persistence.db import make_engine
from states.persistence.uow import UnitOfWorkFactory
from states.rules.catalogue import Catalogue
from states.services.deps import Deps


@dataclass(frozen=True)
class Config:
    mail_from: str = "OSCP Learning Hub <learning-hub@oscp.example.org>"
    base_url: str = "http://127.0.0.1:8000"
    mail_domain: str = "oscp.example.org"


def main(url: str, port: int, now: str) -> None:
    engine = make_engine(url)
    # The relay reads no definitions; an empty catalogue spares a second of loading them.
    deps = Deps(
        uow=UnitOfWorkFactory(engine),
        catalogue=Catalogue({}),
        clock=FakeClock(datetime.fromisoformat(now)),
    )
    result = relay(deps, SmtpMailer(host="127.0.0.1", port=port, timeout=10), config=Config())
    print(json.dumps(asdict(result)), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3])
