"""What an adapter raises when its platform cannot be set up, in words for the operator."""

from __future__ import annotations


class PlatformSetupError(Exception):
    """The platform could not be reached or refused us at start-up (no network, a rejected
    token or request); the message says which platform and why, in one line, without secrets."""
