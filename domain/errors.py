"""The error a capability's rules raise when they refuse a request."""

from __future__ import annotations


class Refusal(Exception):
    """A request the rules refuse. The message is written for the person who asked, staff at
    the terminal or someone in a chat, and is shown to them as it is; each capability raises its
    own subclass so its chat handlers can catch exactly theirs."""
