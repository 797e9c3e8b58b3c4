"""/directory: members join the peer directory (the default is out), edit or leave their entry,
keep a private "never pair me with" list, snooze or leave matching rounds, and read their own
consent record. Rules: services/intros.py. Finding peers and introductions: handlers/intros.py.
"""

from __future__ import annotations

from bot.payloads import Payload
from bot.router import Router

router = Router("directory")


class StayInRounds(Payload, prefix="dir:rounds-stay"):
    pass


class LeaveRounds(Payload, prefix="dir:rounds-leave"):
    pass
