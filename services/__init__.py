"""Each capability's rules, in one module named after it, called by its chat handlers
(handlers/<capability>.py) and by its command-line commands (handlers/<capability>_cli.py) alike.

A service takes repositories bound to one unit of work and typed values, returns typed results,
and refuses a request by raising its capability's `domain.errors.Refusal`. It knows nothing of
chats, buttons or argparse.
"""
