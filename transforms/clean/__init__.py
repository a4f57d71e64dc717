"""Clean: HTML extraction and paragraph-level boilerplate removal (rules, learned recurring paragraphs).

Beam stage: ``stage.py`` (``Clean``, ``RemoveRecurring``); ``document.py`` is Beam-free."""
