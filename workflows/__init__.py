"""When things happen: Prefect flows and the APScheduler tick (thin wrappers over services)."""
