"""Pipeline definitions: which stages run, in which order, from a config."""
