"""The rules: gates, answers, the calendar, reminders, policy, disclosure and the compiler to
``transitions``. Pure: they import definitions and the kernel, never SQLAlchemy."""
