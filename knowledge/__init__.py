"""The programme's knowledge base (YAML in content/) and the code that loads and matches it."""
