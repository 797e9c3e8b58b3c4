"""Knowledge base (in progress)."""

from __future__ import annotations

from console.pages import Pages

pages = Pages("knowledge", "Knowledge base")
