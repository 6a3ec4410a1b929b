"""How the engine keeps what it knows: tables, the store, the unit of work, the outbox,
tokens, deadlines and migrations. Imports definitions and rules, never services."""
