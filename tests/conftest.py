"""Shared fixtures. The GCS emulator fixtures live in tests/gcs_emulator.py."""

from tests.gcs_emulator import gcs_emulator, gcs_prefix  # noqa: F401
