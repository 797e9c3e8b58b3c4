"""Types that storage and the bot both speak: who people are to the programme.

Kept apart from bot/ so that storage imports nothing from the bot, and from storage/ so that
handlers and adapters never need a database model to name a role.
"""
