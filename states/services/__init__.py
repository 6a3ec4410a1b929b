"""Commands and queries: the only way the CLI, web app and flows change or read audits."""
