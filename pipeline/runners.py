"""Which runner a command line names, and whether its workers share the launcher's disk.

Beam-free, so the checks run before Beam's import costs anything: the names are Beam's own
(``StandardOptions.ALL_KNOWN_RUNNERS``, pinned Beam; tests/test_runners.py compares them)."""

from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass

# Beam's module for each runner class it knows by name (create_runner's table, plus DaskRunner,
# which Beam only reaches by its dotted path).
KNOWN_RUNNERS: dict[str, str] = {
    "DataflowRunner": "apache_beam.runners.dataflow.dataflow_runner",
    "BundleBasedDirectRunner": "apache_beam.runners.direct.direct_runner",
    "DirectRunner": "apache_beam.runners.direct.direct_runner",
    "SwitchingDirectRunner": "apache_beam.runners.direct.direct_runner",
    "InteractiveRunner": "apache_beam.runners.interactive.interactive_runner",
    "FlinkRunner": "apache_beam.runners.portability.flink_runner",
    "FnApiRunner": "apache_beam.runners.portability.fn_api_runner",
    "KafkaStreamsRunner": "apache_beam.runners.portability.kafka_streams_runner",
    "PortableRunner": "apache_beam.runners.portability.portable_runner",
    "PrismRunner": "apache_beam.runners.portability.prism_runner",
    "SparkRunner": "apache_beam.runners.portability.spark_runner",
    "TestDirectRunner": "apache_beam.runners.test",
    "TestDataflowRunner": "apache_beam.runners.test",
}
_BY_LOWER = {name.lower(): name for name in KNOWN_RUNNERS}

DATAFLOW = frozenset({"DataflowRunner", "TestDataflowRunner"})
# The graph runs in this process, or in worker processes of this machine started by this process.
LOCAL = frozenset({"DirectRunner", "SwitchingDirectRunner", "BundleBasedDirectRunner", "FnApiRunner",
                   "TestDirectRunner", "InteractiveRunner", "PrismRunner"})
IN_PROCESS = frozenset({"FnApiRunner", "DirectRunner", "SwitchingDirectRunner"})

DASK_UNSUPPORTED = (
    "Beam's DaskRunner is not supported: on eventwire's graph it sends every element to every "
    "output of a multi-output step, drops what finish_bundle emits, never runs branches that do "
    "not feed the last step and has no metrics, so its tables would be wrong (see README, Runners)")


def canonical_runner(name: str | None) -> str | None:
    """The runner class name that ``--runner NAME`` means to Beam (``dataflow``, ``Dataflow``,
    ``DataflowRunner`` and ``apache_beam.runners.dataflow.DataflowRunner`` are all
    ``DataflowRunner``); an unknown short name is returned as given; None stays None."""
    if name is None:
        return None
    if "." in name:
        return name.rsplit(".", 1)[1]
    lower = name.lower()
    return _BY_LOWER.get(lower) or _BY_LOWER.get(lower + "runner") or name


def runner_module(name: str) -> str | None:
    """The module that defines ``--runner NAME`` (importing it registers that runner's options)."""
    if "." in name:
        return name.rsplit(".", 1)[0]
    return KNOWN_RUNNERS.get(canonical_runner(name) or "")


@dataclass(frozen=True)
class Placement:
    """What decides where a runner's workers write: enough of the pipeline options to say it."""

    runner: str | None  # canonical; None = eventwire's default (FnApiRunner in this process)
    job_endpoint: str | None = None
    environment_type: str | None = None
    environment_config: str | None = None
    flink_master: str | None = None
    spark_master_url: str | None = None

    def shares_launcher_disk(self) -> bool:
        """True when every worker runs on this machine, in a process that sees its files.

        Dataflow, a Flink or Spark cluster, a portable runner with a job server elsewhere, Docker
        workers (their own filesystem) and an external worker pool on another host do not. A
        Flink or Spark cluster that Beam starts in its job server (``--flink_master [local]``,
        ``--spark_master_url local[N]``) runs the Python workers in the launcher (LOOPBACK)."""
        if self.runner is None or self.runner in LOCAL:
            return True
        kind = (self.environment_type or "DOCKER").upper()
        if self.runner in ("FlinkRunner", "SparkRunner"):
            in_job_server = (self.flink_master == "[local]" if self.runner == "FlinkRunner"
                             else re.fullmatch(r"local(\[[0-9*]+\])?", self.spark_master_url or "") is not None)
            return in_job_server and (self.environment_type or "LOOPBACK").upper() == "LOOPBACK"
        if self.runner != "PortableRunner" or self.job_endpoint != "embed":
            return False
        if kind in ("LOOPBACK", "PROCESS", "BEAM:ENV:EMBEDDED_PYTHON:V1"):
            return True
        return kind == "EXTERNAL" and _is_loopback_address(self.environment_config or "")

    def describe(self) -> str:
        if self.runner == "PortableRunner":
            return (f"PortableRunner (job endpoint {self.job_endpoint or 'none'}, "
                    f"environment {self.environment_type or 'DOCKER'})")
        if self.runner == "FlinkRunner":
            return f"FlinkRunner (--flink_master {self.flink_master})"
        if self.runner == "SparkRunner":
            return f"SparkRunner (--spark_master_url {self.spark_master_url})"
        return self.runner or "the local runner"


def _is_loopback_address(host_port: str) -> bool:
    host = host_port.rsplit(":", 1)[0] if ":" in host_port else host_port
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_local_path(path: str) -> bool:
    """A path on this machine's disk, not a filesystem URL (``gs://``, ``s3://``, ...)."""
    return "://" not in path


def absolute(path: str) -> str:
    """A local path made absolute against the launcher's working folder (a worker has its own)."""
    if not is_local_path(path):
        return path
    trailing = "/" if path.endswith("/") and len(path) > 1 else ""
    return os.path.abspath(path) + trailing


def local_path_refusal(placement: Placement, output: str, inputs: list[str]) -> str | None:
    """Why this run must not start (one line), or None: a local output or input under a runner
    whose workers do not see this machine's disk would be written to (or read from) theirs."""
    if placement.shares_launcher_disk():
        return None
    what = [("--output", output)] if is_local_path(output) else []
    what += [("input", path) for path in inputs if is_local_path(path)]
    if not what:
        return None
    kind, path = what[0]
    return (f"{kind} {path} is a local path, but {placement.describe()} runs the job on workers that do "
            f"not see this machine's disk (the tables would land on theirs): use gs:// paths, or pass "
            f"--shared-filesystem if {path} is on a filesystem every worker mounts at the same place")
