"""Faust agents: thin wiring of streams over the pure functions in ``processors.nlp``."""
