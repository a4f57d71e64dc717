"""Read: input files (local walk or Beam's filesystems) to RawDocuments or rejects.

Beam stage: ``stage.py`` (``ReadFiles``); the rest is Beam-free."""
