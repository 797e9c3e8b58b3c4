"""Adapters translate between a platform and the core's events and replies; no business rules."""
