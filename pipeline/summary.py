"""The run summary (printed) and the run manifest (``OUT/_runs/<run_id>.json``), from Beam metrics."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from apache_beam.io.filesystems import FileSystems

from transforms.output.tables import join


@dataclass
class RunSummary:
    run_id: str
    output: str
    inputs: list[str]
    elapsed_seconds: float = 0.0  # from taking the output lock to the manifest
    startup_seconds: float = 0.0  # before that: interpreter, imports, options, models (0 outside the CLI)
    counters: dict[str, int] = field(default_factory=dict)
    written: list[tuple[str, str, int]] = field(default_factory=list)  # (table, partition, rows now in it)
    recovered: list[str] = field(default_factory=list)  # interrupted runs whose commit this run completed
    command: str = "run"  # the subcommand that ran, for the summary's first line

    def get(self, name: str) -> int:
        return self.counters.get(name, 0)

    def by_prefix(self, prefix: str) -> dict[str, int]:
        return {k[len(prefix):]: v for k, v in sorted(self.counters.items()) if k.startswith(prefix) and v}

    @property
    def rejects(self) -> dict[str, int]:
        return {k: v for k, v in self.by_prefix("reject:").items() if not k.startswith("dedup/")}

    @property
    def duplicates(self) -> int:
        return sum(v for k, v in self.by_prefix("reject:").items() if k.startswith("dedup/"))

    @property
    def records(self) -> int:
        """Every input record ends as exactly one of these: the run's accounting."""
        return self.get("articles") + self.get("already_present") + self.duplicates + sum(self.rejects.values())

    def text(self) -> str:
        rejects = self.rejects
        by_stage: dict[str, int] = {}
        for reason, count in rejects.items():
            by_stage[reason.split("/")[0]] = by_stage.get(reason.split("/")[0], 0) + count
        languages = ", ".join(f"{k} {v}" for k, v in self.by_prefix("language:").items()) or "-"
        lines = [
            f"eventwire {self.command} {self.run_id} finished in {self.startup_seconds + self.elapsed_seconds:.1f} s"
            + (f" ({self.startup_seconds:.1f} s of start-up)" if self.startup_seconds else ""),
            f"  input records      {self.records:>7}   (= articles + already in output + duplicates + rejects)",
            f"  documents read     {self.get('documents'):>7}",
            f"  articles written   {self.get('articles'):>7}   (languages: {languages})",
            f"  already in output  {self.get('already_present'):>7}",
            f"  duplicates         {self.duplicates:>7}",
            f"  rejects            {sum(rejects.values()):>7}"
            + ("   (" + ", ".join(f"{s} {n}" for s, n in sorted(by_stage.items())) + ")" if rejects else ""),
        ]
        lines += [f"      {reason:<30} {count}" for reason, count in rejects.items()]
        events_rows, events_partitions = self.touched_events()
        lines += [
            f"  mentions           {self.get('mentions'):>7}",
            f"  events (touched)   {events_rows:>7}   in {events_partitions} event-date partition(s)",
            f"  output             {self.output}",
        ]
        return "\n".join(lines)

    def touched_events(self) -> tuple[int, int]:
        """(events, partitions) in the event-date partitions the run wrote, each counted once: from
        ``written`` (a partition's rows after the run's last write to it), not from the commit's
        counters, which a run in waves adds up over the waves that rewrote the same partition."""
        if not self.written:  # the watcher reports its windows by counters only
            return self.get("rows:events"), self.get("partitions:events")
        events = [rows for table, _, rows in self.written if table == "events"]
        return sum(events), len(events)

    def manifest(self) -> dict[str, Any]:
        """The audit record: what the run read, wrote (per partition) and rejected (per reason)."""
        written: dict[str, list[dict[str, Any]]] = {}
        for table, partition, rows in sorted(self.written):
            written.setdefault(table, []).append({"partition": partition, "rows": rows})
        return {
            "run_id": self.run_id, "command": self.command, "output": self.output, "inputs": self.inputs,
            "elapsed_seconds": round(self.elapsed_seconds, 3), "startup_seconds": round(self.startup_seconds, 3), "counters": dict(sorted(self.counters.items())),
            "read": {"documents": self.get("documents"), "already_present": self.get("already_present"),
                     "reprocessed": self.get("reprocessed")},
            "written": written,
            "new": {"articles": self.get("articles"), "mentions": self.get("mentions")},
            "rejected": self.rejects, "records": self.records,
            "duplicates": {k: v for k, v in self.by_prefix("reject:").items() if k.startswith("dedup/")},
            "recovered_runs": self.recovered,
        }


def counters_from(result: Any) -> dict[str, int]:
    """Committed counters of namespace "eventwire" (attempted where a runner lacks committed)."""
    counters: dict[str, int] = {}
    for metric in result.metrics().query()["counters"]:
        if metric.key.metric.namespace != "eventwire":
            continue
        value = metric.committed if metric.committed is not None else metric.attempted
        name = metric.key.metric.name
        counters[name] = counters.get(name, 0) + int(value or 0)
    return counters


def write_manifest(output: str, run_id: str, manifest: Mapping[str, Any], extra: Mapping[str, Any]) -> str:
    """Write the audit record of one run, outside the table folders."""
    path = join(output, "_runs", f"{run_id}.json")
    data = json.dumps({**manifest, **extra}, indent=2, sort_keys=True, default=str).encode()
    if "://" not in path:  # whole or not at all: a full disk leaves no half manifest
        import os

        os.makedirs(os.path.dirname(path), exist_ok=True)
        temporary = f"{path}.tmp"
        try:
            with open(temporary, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, path)
        except OSError:
            if os.path.exists(temporary):
                os.remove(temporary)
            raise
        return path
    with FileSystems.create(path, mime_type="application/json") as handle:
        handle.write(data)
    return path
