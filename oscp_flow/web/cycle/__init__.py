"""The audit cycle in the browser: each step a coordinator, chair or auditor takes on an audit,
from starting it to closing it, as pages over the engine's services.

One module per part of the cycle (starting, terms, the sample, auditors, returns, moderation,
the report, sharing, the stages); ``routes`` adds them all. No rule lives here: each page reads
through a service and each form calls one, and a refusal is the engine's own sentence shown
beside the form with what was typed kept.
"""
