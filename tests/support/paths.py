"""Where the project and its shipped definitions are, for tests and helpers that import no
fixtures (``tests/conftest.py`` re-exports both)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
DEFINITIONS = ROOT / "definitions" / "audit_types"
