"""One Northdale per store for every journey: set up once (``oscp init``, the directory
imported, the programme loaded) and shared, each journey running its own audits in it.

Sharing is safe because a journey reads only its own audit's state and its own audit's
e-mails (each e-mail names its audit), and nobody's directory entry changes on the way.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.journey import Partnership, partnership
from tests.support.northdale import STORES, database


@pytest.fixture(scope="session", params=STORES)
def northdale(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Partnership]:
    folder = tmp_path_factory.mktemp(f"northdale-{request.param}")
    with database(request.param, request) as url, partnership(folder, url) as set_up:
        yield set_up
