"""The package version, read from the installed metadata (setup.py is the one source)."""

from importlib import metadata

try:
    VERSION = metadata.version("eventwire")
except metadata.PackageNotFoundError:  # running from a checkout without installing
    VERSION = "0.1.0+checkout"
