"""cedp-bot core: the platform-neutral model, routing, middleware and the command line."""
