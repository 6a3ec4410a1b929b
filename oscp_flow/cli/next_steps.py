"""What a new partnership does next, said under a listing that is empty because of it: an
empty directory is imported, an absent programme loaded. The board says the same."""

from __future__ import annotations

from typing import TYPE_CHECKING

from oscp_flow.cli.common import out

if TYPE_CHECKING:
    from states.services.deps import Deps

IMPORT = (
    "Next: import your directory. 'oscp directory template -o directory.xlsx' writes a workbook "
    "to fill in; then 'oscp directory import directory.xlsx --dry-run --as YOUR-EMAIL' shows "
    "what it would store, and the same without --dry-run (with --reason) stores it."
)
LOAD = "Next: load the programme with 'oscp programme load' (the 2025-28 audit plan)."


def say_next_steps(deps: Deps) -> None:
    from states.services import board, programme

    if not board.agency_names(deps):
        out.print(IMPORT, highlight=False, soft_wrap=True)
    if not programme.list_entries(deps):
        out.print(LOAD, highlight=False, soft_wrap=True)
