"""Faults an operator meets on a bad day, each tried against the real engine: dropped
connections, full disks, read-only files, dead workers and files people really make."""
