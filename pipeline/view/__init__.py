"""Viewers of a finished output: ``eventwire show`` and ``eventwire report``. Beam-free."""
