"""The staff console: server-rendered pages on the bot's aiohttp application, one more adapter
over the same rules as chat and the command line (services/), behind the same role check
(`bot.router.Access.allows`). `console.app.mount` adds it to the web application; each section
of it is a module of `console.pages_*` with its own `Pages`."""
