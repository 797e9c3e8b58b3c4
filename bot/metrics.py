"""Prometheus metrics, on a registry owned by the app (no process-global state)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST


class Metrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.messages_in = Counter(
            "cedp_messages_in", "Inbound events", ["platform"], registry=self.registry
        )
        self.messages_out = Counter(
            "cedp_messages_out", "Replies sent", ["platform"], registry=self.registry
        )
        self.handler_seconds = Histogram(
            "cedp_handler_seconds",
            "Time from event in to replies out",
            ["route"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
            registry=self.registry,
        )
        self.errors = Counter(
            "cedp_errors", "Events that raised in a handler", ["route"], registry=self.registry
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)
