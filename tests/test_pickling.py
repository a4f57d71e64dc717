"""Every DoFn and PTransform of the batch graph, with its configuration, survives Beam's pickler.

Dataflow (and the multi-processing direct runner) ship each DoFn to workers pickled; a lambda
over a global, an open file or an unpicklable config object fails only there. This builds the
real graph, without running it, and round-trips every transform.
"""

from __future__ import annotations

import datetime as dt
import shutil

import apache_beam as beam
from apache_beam.internal import pickler
from apache_beam.options.pipeline_options import PipelineOptions

from tests.conftest import REPO


class _Collect(beam.pipeline.PipelineVisitor):
    def __init__(self) -> None:
        self.transforms: list[beam.transforms.ptransform.PTransform] = []

    def enter_composite_transform(self, node) -> None:  # type: ignore[no-untyped-def]
        if node.transform is not None:
            self.transforms.append(node.transform)

    def visit_transform(self, node) -> None:  # type: ignore[no-untyped-def]
        self.transforms.append(node.transform)


def test_every_transform_and_dofn_of_the_batch_graph_pickles(tmp_path, request):
    from pipeline.graph import ArticlesToTables
    from transforms.events.model import load_event_model
    from transforms.output.commit import RunContext
    from transforms.read.stage import ReadFiles
    from transforms.settings import load_settings

    settings = load_settings()
    ctx = RunContext(output=str(tmp_path / "out"), run_id="pickle-test",
                     started_at=dt.datetime(2024, 5, 1, tzinfo=dt.timezone.utc))
    pipeline = beam.Pipeline(runner="FnApiRunner", options=PipelineOptions([]))
    # Beam removes the pipeline's temporary folder in run(); this graph is only built
    request.addfinalizer(lambda: shutil.rmtree(pipeline.local_tempdir, ignore_errors=True))
    read = pipeline | "ReadFiles" >> ReadFiles([str(REPO / "seeds" / "*")], settings.read)
    _ = read | "ToTables" >> ArticlesToTables(settings, load_event_model(settings), ctx)
    visitor = _Collect()
    pipeline.visit(visitor)
    dofns = [t.fn for t in visitor.transforms if isinstance(t, beam.ParDo)]
    assert len(dofns) >= 10
    names = {type(fn).__name__ for fn in dofns}
    assert {"ReadFilesFn", "CleanFn", "AnalyzeFn"} <= names
    for transform in visitor.transforms:
        pickler.loads(pickler.dumps(transform))
    for fn in dofns:
        clone = pickler.loads(pickler.dumps(fn))
        assert type(clone) is type(fn)
    read_fn = next(fn for fn in dofns if type(fn).__name__ == "ReadFilesFn")
    assert pickler.loads(pickler.dumps(read_fn))._settings == settings.read  # the config travels, by value
    # the whole graph as a runner sees it (what Dataflow submits) serializes too
    assert pipeline.to_runner_api().components.transforms


def test_event_model_travels_as_one_blob_and_arrives_whole_in_a_fresh_process():
    """The model rides in every DoFn that analyses articles, and Beam pickles those DoFns at graph
    build and per bundle processor. It pickles as one compressed blob, restored once per process:
    there, one object for every copy; in a fresh process (a worker), a model equal to the one the
    configuration gives, with the same fingerprint."""
    import pickle
    import subprocess
    import sys

    from transforms.events.model import EventModel, load_event_model
    from transforms.settings import load_settings

    model = load_event_model(load_settings())
    payload = pickle.dumps(model)
    restored = pickle.loads(payload)
    assert restored == model and restored.fingerprint == model.fingerprint
    assert pickle.loads(pickle.dumps(restored)) is restored
    assert len(payload) < len(pickle.dumps((model.languages, model.lexicons, model.gazetteer))) / 3

    probe = ("import pickle, sys; from transforms.events.model import load_event_model; "
             "from transforms.settings import load_settings; m = pickle.loads(sys.stdin.buffer.read()); "
             "print(m.fingerprint, m == load_event_model(load_settings()))")
    out = subprocess.run([sys.executable, "-c", probe], input=payload, capture_output=True, cwd=REPO, check=True)
    assert out.stdout.decode().split() == [model.fingerprint, "True"]

    plain = EventModel(model.languages, model.lexicons[:1], model.gazetteer)  # built by hand: no fingerprint
    assert pickle.loads(pickle.dumps(plain)) == plain
