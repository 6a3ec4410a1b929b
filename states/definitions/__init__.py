"""Declared audit types: the models, YAML reading and loading, graph checks and diagrams.

The bottom layer: imports nothing else in the engine but the kernel (``states.errors``,
``states.clock``)."""
