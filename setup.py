"""eventwire packaging. Dataflow workers install the job from this file (--setup_file ./setup.py)."""

from pathlib import Path

from setuptools import find_packages, setup

VERSION = "0.1.0"

setup(
    name="eventwire",
    version=VERSION,
    description="News articles to a deduplicated table of political events (PLOVER/CAMEO) as Hive-partitioned Parquet, on Apache Beam",
    long_description=Path(__file__).with_name("README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    license="Apache-2.0",
    python_requires=">=3.10",
    # The design card's top-level layout: pipeline/ composes, transforms/ holds the stages, config/ the YAML.
    packages=find_packages(include=["pipeline", "pipeline.*", "transforms", "transforms.*", "config"]),
    package_data={"config": ["*.yaml", "*/*.yaml"]},
    include_package_data=False,  # never ship the test corpus or fixtures
    install_requires=[
        "apache-beam==2.77.0",  # pinned: it caps pyarrow, and the runner notes in the README are for this version
        "pyarrow>=14,<26",
        "trafilatura>=2.0,<3",
        "lxml_html_clean>=0.4",  # trafilatura 2.3 with lxml 6 fails on import without it
        "langdetect==1.0.9",
        "feedparser>=6.0.11,<7",
        "urllib3>=2.7,<3",
        "PyYAML>=6",
        "pycountry>=24",
        "python-dateutil>=2.9",
        "orjson>=3.9,<4",  # JSON Lines records (the standard library decides what orjson refuses)
        "simplemma>=1.1,<3",
        "marisa-trie>=1.2,<2",  # simplemma's dictionaries as tries: loaded in ms, ~8 MB (transforms/events/lemmas.py)
        "warcio>=1.7,<2",
        "charset-normalizer>=3.3",
        "google-cloud-storage>=2.14",
        "google-auth-httplib2>=0.2",
        # Beam's GCS/BigQuery client code: without it Beam warns at import in every worker process,
        # and that first warning leaves Python's root logger printing Beam's INFO chatter to stderr
        "google-apitools>=0.5.31,<0.5.32",
        "numpy>=1.24",  # SimHash bit counting, language detection (also a Beam dependency)
        "isal>=1.6,<2",  # gunzip of input files ~2.5x faster than zlib (transforms/read/payload.py); zlib without it
    ],
    extras_require={
        # duckdb: only the tests query the tables with it (the viewers read them with pyarrow), so a
        # worker does not install it. build/setuptools/wheel: tests/test_dataflow_ready.py builds the
        # sdist and the wheel offline with what pyproject.toml's build-system names.
        "test": [
            "duckdb>=1.1",
            "build>=1",
            "setuptools>=68",
            "wheel",
            "pytest>=8",
            "pytest-timeout>=2.3",
            "gcp-storage-emulator>=2024.8.3",
            "fastwarc>=0.14",
            "ruff>=0.6",
            # the readers tests/test_readers.py opens every table with (pyspark also needs a Java
            # runtime: .ci/run installs one where apt can)
            "pandas>=2.0",
            "polars>=1.0",
            "pyspark>=3.5",
        ],
    },
    entry_points={"console_scripts": ["eventwire=pipeline.cli:console_main"]},
)
