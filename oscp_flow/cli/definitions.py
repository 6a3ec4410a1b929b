"""``oscp definitions``: check, draw and describe audit type definitions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from oscp_flow.cli.common import definitions_app, err, out, plain_errors


@definitions_app.command("validate")
def definitions_validate(
    path: Annotated[
        Path | None, typer.Argument(help="A file or folder (default: the shipped ones).")
    ] = None,
) -> None:
    """Check definitions without storing anything; every problem is listed with its line."""
    from oscp_flow.output import show_definitions, show_tools
    from oscp_flow.settings import Settings
    from oscp_flow.validate import validate
    from states.errors import DefinitionError

    settings = Settings()
    try:
        # A lone audit type's tool is looked for beside it, else among the configured tools.
        types, tools = validate(
            path or settings.definitions, tools=settings.definitions.parent / "tools"
        )
    except DefinitionError as exc:
        for problem in exc.problems:
            err.print(f"[bold red]Error:[/] {problem}.", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    if types:
        show_definitions(out, types)
    if tools:
        show_tools(out, tools)
    out.print("Nothing was stored.")


@definitions_app.command("diagram")
def definitions_diagram(
    audit_type: str,
    fmt: Annotated[str, typer.Option("--format", help="mermaid or dot")] = "mermaid",
) -> None:
    """Print the audit type as a Mermaid state diagram or Graphviz DOT."""
    from oscp_flow.settings import Settings
    from states.definitions.diagram import draw
    from states.rules.catalogue import Catalogue

    if fmt not in ("mermaid", "dot"):
        err.print("[bold red]Error:[/] --format is mermaid or dot.")
        raise typer.Exit(2)
    with plain_errors():
        compiled = Catalogue.from_directory(Settings().definitions).current(audit_type)
        typer.echo(draw(compiled.definition, "dot" if fmt == "dot" else "mermaid"))


@definitions_app.command("schema")
def definitions_schema(
    output: Annotated[Path, typer.Option(help="Where to write it.")] = Path(
        "definitions/schema/audit-type.schema.json"
    ),
) -> None:
    """Regenerate the JSON schema editors use to check definitions as they are typed."""
    from states.definitions.model import definition_json_schema

    output.write_text(definition_json_schema(), encoding="utf-8")
    out.print(f"Wrote {output}")
