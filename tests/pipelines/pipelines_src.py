"""Pipelines written with the real kfp DSL, compiled by the real kfp compiler in the tests.

No `from __future__ import annotations`: kfp reads the annotations as objects, and
knows `Optional[str]`, not `str | None`.
"""
# ruff: noqa: UP045

from typing import NamedTuple, Optional

from kfp import dsl
from kfp.dsl import (
    HTML,
    ClassificationMetrics,
    Dataset,
    Input,
    InputPath,
    Markdown,
    Metrics,
    Model,
    Output,
    OutputPath,
)

IMAGE = "python:3.11"


@dsl.component(base_image=IMAGE)
def add(a: int, b: int) -> int:
    return a + b


@dsl.component(base_image=IMAGE)
def coin(seed: int) -> str:
    return "heads" if seed % 2 else "tails"


@dsl.component(base_image=IMAGE)
def square(n: int) -> int:
    return n * n


@dsl.component(base_image=IMAGE)
def total(values: list[int]) -> int:
    assert all(isinstance(v, int) for v in values), values  # Collected keeps ints ints
    return sum(values)


@dsl.component(base_image=IMAGE)
def shout(word: str) -> str:
    return word.upper()


@dsl.component(base_image=IMAGE)
def join_words(words: list[str]) -> str:
    return "+".join(words)


@dsl.component(base_image=IMAGE)
def note(message: str, log: OutputPath(str)) -> None:  # type: ignore[valid-type]
    with open(log, "w") as fh:
        fh.write(message)


@dsl.component(base_image=IMAGE)
def make_data(
    rows: int,
    data: Output[Dataset],
    metrics: Output[Metrics],
    confusion: Output[ClassificationMetrics],
    report: Output[Markdown],
    page: Output[HTML],
) -> None:
    with open(data.path, "w") as fh:
        fh.write("".join(f"{i},{i * i}\n" for i in range(rows)))
    data.metadata["rows"] = rows
    metrics.log_metric("rows", rows)
    confusion.log_confusion_matrix(["a", "b"], [[rows, 1], [2, 3]])
    with open(report.path, "w") as fh:
        fh.write(f"# {rows} rows\n")
    with open(page.path, "w") as fh:
        fh.write(f"<p>{rows}</p>")


@dsl.component(base_image=IMAGE)
def train(data: Input[Dataset], model: Output[Model], table: InputPath("Dataset")) -> NamedTuple(  # type: ignore[valid-type]
    "Outputs", [("lines", int), ("rows_meta", int)]
):
    import collections

    with open(data.path) as fh:
        lines = fh.read().splitlines()
    with open(table) as fh:
        assert fh.read().splitlines() == lines
    with open(model.path, "w") as fh:
        fh.write(f"model of {len(lines)} lines")
    model.metadata["framework"] = "none"
    out = collections.namedtuple("Outputs", ["lines", "rows_meta"])
    return out(len(lines), int(data.metadata["rows"]))


@dsl.component(base_image=IMAGE)
def read_model(model: Input[Model]) -> str:
    with open(model.path) as fh:
        return fh.read()


@dsl.component(base_image=IMAGE)
def fail(message: str) -> None:
    raise RuntimeError(message)


@dsl.component(base_image=IMAGE)
def report_status(status: dsl.PipelineTaskFinalStatus, out: OutputPath(str)) -> None:  # type: ignore[valid-type]
    with open(out, "w") as fh:
        fh.write(f"{status.state} {status.pipeline_task_name}")


@dsl.container_component
def echo_to_file(text: str, out: dsl.OutputPath(str)):  # type: ignore[no-untyped-def]
    return dsl.ContainerSpec(
        image="alpine",
        command=["sh", "-c", 'printf "%s" "$0" > "$1"'],
        args=[dsl.ConcatPlaceholder(["<", text, ">"]), out],
    )


@dsl.pipeline(name="two-steps")
def two_steps(x: int = 1) -> int:
    first = add(a=x, b=2)
    return add(a=first.output, b=3).output


@dsl.pipeline
def inner_pipeline(n: int) -> int:
    return square(n=n).output


@dsl.pipeline(name="control-flow")
def control_flow(seed: int = 3, items: list[int] = [1, 2, 3]) -> None:  # noqa: B006
    guard = note(message="done")
    with dsl.ExitHandler(guard):
        flip = coin(seed=seed).set_retry(num_retries=2, backoff_duration="0s")
        with dsl.If(flip.output == "heads"):
            note(message="heads")
        with dsl.Elif(flip.output == "tails"):
            note(message="tails")
        with dsl.Else():
            note(message="edge")
        with dsl.ParallelFor(items, parallelism=2) as item:
            sq = square(n=item)
        total(values=dsl.Collected(sq.output))
        with dsl.ParallelFor([{"w": "a"}, {"w": "b"}]) as entry:
            loud = shout(word=entry.w)
        join_words(words=dsl.Collected(loud.output))
        nested = inner_pipeline(n=seed)
        with dsl.If(nested.output > 5):
            echo_to_file(text="big")


@dsl.pipeline(name="artifacts")
def artifacts(rows: int = 3) -> str:
    data = make_data(rows=rows)
    model = train(data=data.outputs["data"], table=data.outputs["data"])
    return read_model(model=model.outputs["model"]).output


@dsl.pipeline(name="failing")
def failing(message: str = "boom") -> None:
    status = report_status()
    with dsl.ExitHandler(status):
        fail(message=message).set_caching_options(False)


@dsl.pipeline(name="Settings Pipeline")
def settings(n: int = 2) -> None:
    square(n=n).set_env_variable("MODE", "fast").set_cpu_limit("1").set_memory_request(
        "1G"
    ).set_caching_options(False).set_retry(num_retries=3, backoff_duration="2s", backoff_factor=2)
    square(n=5).set_caching_options(True, cache_key="v1")


@dsl.container_component
def optional_flags(name: str, out: dsl.OutputPath(str), tag: Optional[str] = None):  # type: ignore[no-untyped-def]
    return dsl.ContainerSpec(
        image="alpine",
        command=["sh", "-c", 'echo "$@" > "$0"'],
        args=[
            out,
            dsl.ConcatPlaceholder(["--name=", name]),
            dsl.IfPresentPlaceholder(input_name="tag", then=["--tag", tag], else_=["--untagged"]),
            dsl.PIPELINE_TASK_NAME_PLACEHOLDER,
        ],
    )


@dsl.component(base_image=IMAGE, packages_to_install=["pyyaml>=5"])
def uses_yaml(text: str) -> str:
    import yaml

    return str(yaml.safe_load(text)["k"])


@dsl.pipeline(name="launcher-cases")
def launcher_cases(path: str = "/var/tmp/none") -> None:
    optional_flags(name="x")
    optional_flags(name="y", tag="t1")
    uses_yaml(text="k: v")
    dsl.importer(artifact_uri=path, artifact_class=Dataset, metadata={"source": path})
    fail(message="boom")


@dsl.component(base_image=IMAGE)
def started_warm() -> bool:
    import sys

    # imported only by the local runtime's warm fork server, never by the launcher
    return "kflow.runtime._warm_container" in sys.modules


@dsl.pipeline(name="warmth")
def warmth() -> bool:
    return started_warm().output
