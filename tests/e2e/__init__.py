"""End-to-end tests: the adapters talk real HTTP to a loopback fake of Telegram and Slack."""
