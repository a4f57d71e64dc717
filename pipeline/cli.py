"""The ``eventwire`` command: a thin dispatcher over one module per subcommand.

Each subcommand lives in ``pipeline/<module>.py`` and exposes ``main(argv) -> int``; this
module only configures logging (before Beam is imported: Beam's import-time warning
would otherwise disable a later ``basicConfig``) and dispatches, so ``eventwire show``
never pays for importing Beam.
"""

from __future__ import annotations

import gc
import importlib
import logging
import os
import sys
import time

# command -> (module in pipeline/, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("batch", "process article files (txt, html, jsonl, warc; .gz; local or gs://) into the tables"),
    "feeds": ("feeds", "fetch RSS/Atom feeds once (for cron / Airflow) into the tables"),
    "watch": ("watch", "poll feeds forever (local polling loop, or --streaming on Dataflow)"),
    "show": ("view.show", "print the events of an output folder as a terminal table"),
    "report": ("view.report", "render a self-contained HTML report of an output folder"),
}

DEFAULT_ARGV = ["run", "seeds/", "--output", "output"]


def _usage() -> str:
    lines = ["usage: eventwire COMMAND [ARGS...]", "", "commands:"]
    lines += [f"  {name:<8} {help_}" for name, (_, help_) in COMMANDS.items()]
    lines += ["", "With no arguments, from the repository root: eventwire run seeds/ --output output",
              "eventwire COMMAND --help shows a command's options."]
    return "\n".join(lines)


def configure_logging() -> None:
    level = os.environ.get("EVENTWIRE_LOG_LEVEL", "INFO").upper()
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True)
    # Beam and the HTTP stack are chatty at INFO; our own progress lines are what users want.
    for noisy in ("apache_beam", "urllib3", "trafilatura", "htmldate", "charset_normalizer", "google"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger().level))
    # the local runner relays each worker's start-up warnings ("No semi_persistent_directory") verbatim
    logging.getLogger("apache_beam.runners.portability.local_job_service").setLevel(logging.ERROR)


def main(argv: list[str] | None = None, *, freeze: bool = False) -> int:
    """Run one command; ``freeze`` only for a process that runs just this one (``console_main``)."""
    # The start is kept in transforms.eta (stdlib only), not here: run as __main__, this module is not
    # the pipeline.cli the commands import. A process of its own also counts the interpreter's start.
    from transforms import eta

    eta.COMMAND_STARTED = time.monotonic() - (eta.process_age_seconds() if freeze else 0.0)
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv:
        if not os.path.isdir("seeds"):
            print(_usage())
            print("\nNo seeds/ folder here: run from the repository root, or name your input.", file=sys.stderr)
            return 2
        argv = list(DEFAULT_ARGV)
    if argv[0] in ("-h", "--help", "help"):
        print(_usage())
        return 0
    if argv[0] in ("-V", "--version"):
        from transforms.version import VERSION

        print(f"eventwire {VERSION}")
        return 0
    command, rest = argv[0], argv[1:]
    if command not in COMMANDS:
        print(f"eventwire: unknown command {command!r}\n\n{_usage()}", file=sys.stderr)
        return 2
    configure_logging()
    from pipeline import interrupt

    interrupt.install()
    if command == "run":  # before pyarrow is imported: Arrow's C++ pool is chosen once (pipeline/memory.py)
        from pipeline import memory

        memory.choose_allocators()
    try:
        module = importlib.import_module(f"pipeline.{COMMANDS[command][0]}")
        if freeze:  # Beam's modules live until exit: out of the collector's sight, every full
            gc.freeze()  # collection during the run skips them (~0.25 s of a run over 466 pages)
        return int(module.main(rest) or 0)
    except BaseException:
        if not interrupt.interrupted():
            raise
        # Ctrl-C: however the runner wrapped it, one line and the shell's status for SIGINT
        print(f"eventwire {command}: {interrupt.outcome(writes=command in ('run', 'feeds', 'watch'))}", file=sys.stderr)
        return 130


def console_main() -> int:
    """The ``eventwire`` command, a process of its own: ``main`` and then the exit."""
    status = main(freeze=True)
    # Nothing is left to collect at exit: freezing the heap spares the interpreter its final
    # collection (~0.4 s after a run). Only here: a caller of ``main`` in a long-lived process
    # (tests, an Airflow worker) freezes nothing and keeps collecting each run's garbage.
    gc.freeze()
    return status


if __name__ == "__main__":
    sys.exit(console_main())
