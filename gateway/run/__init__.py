"""The composition root: every component built from Settings, for each command."""
