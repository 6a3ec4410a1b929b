"""The audit engine: definitions, state machines, gates, persistence and services.

This package is free of Prefect, web and SMTP code; everything above it imports it,
never the other way round.
"""
