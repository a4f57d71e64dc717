"""Events: sentences, triggers, participants, dates -> mentions; mentions -> events.

Beam stage: ``stage.py`` (``Analyze``: language, then events); the rest is Beam-free."""
