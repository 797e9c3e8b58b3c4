"""Coaching (in progress)."""

from __future__ import annotations

from console.pages import Pages

pages = Pages("coaching", "Coaching")
