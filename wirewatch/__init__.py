"""wirewatch core: the article schema, settings, topics, CLI and embedded services.

The three stage packages (``producers``, ``processors``, ``sinks``) import from here and
never from each other.
"""

__version__ = "0.1.0"
