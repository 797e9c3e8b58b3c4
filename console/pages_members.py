"""Members and invites (in progress)."""

from __future__ import annotations

from console.pages import Pages

pages = Pages("members", "Members and invites")
