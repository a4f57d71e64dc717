"""Helper processes with a per-element time and memory limit (no library gives a killable task
inside Beam's harness; docs/rejects.md). ``dofn.py`` is the Beam half; the rest never imports Beam."""
