"""A small KFP v2 pipeline, written with the kfp DSL, to run on kflow.

    kflow up &
    kflow run examples/pipelines/train_and_evaluate.py --param rows=200 --param folds=3

or from Python:

    import kflow
    from examples.pipelines.train_and_evaluate import train_and_evaluate
    kflow.run_pipeline(train_and_evaluate, arguments={"rows": 200})

Nothing here is kflow-specific: the same file compiles with `kfp.compiler` and runs
on Kubeflow Pipelines.
"""

from kfp import dsl
from kfp.dsl import Dataset, Input, Metrics, Model, Output

IMAGE = "python:3.11"


@dsl.component(base_image=IMAGE)
def make_dataset(rows: int, dataset: Output[Dataset]) -> None:
    import random

    rng = random.Random(0)
    with open(dataset.path, "w") as fh:
        for _ in range(rows):
            x = rng.uniform(-1, 1)
            fh.write(f"{x},{int(x > 0)}\n")
    dataset.metadata["rows"] = rows


@dsl.component(base_image=IMAGE)
def train(dataset: Input[Dataset], fold: int, folds: int, model: Output[Model]) -> float:
    with open(dataset.path) as fh:
        rows = [tuple(map(float, line.split(","))) for line in fh]
    train_rows = [r for i, r in enumerate(rows) if i % folds != fold]
    threshold = sum(x for x, _ in train_rows) / len(train_rows)
    with open(model.path, "w") as fh:
        fh.write(str(threshold))
    held_out = [r for i, r in enumerate(rows) if i % folds == fold]
    return sum((x > threshold) == bool(y) for x, y in held_out) / len(held_out)


@dsl.component(base_image=IMAGE)
def summarize(accuracies: list[float], metrics: Output[Metrics]) -> float:
    mean = sum(accuracies) / len(accuracies)
    metrics.log_metric("mean_accuracy", mean)
    metrics.log_metric("folds", len(accuracies))
    return mean


@dsl.component(base_image=IMAGE)
def announce(message: str) -> None:
    print(message)


@dsl.pipeline(name="train-and-evaluate")
def train_and_evaluate(rows: int = 100, folds: int = 3) -> float:
    data = make_dataset(rows=rows)
    with dsl.ParallelFor(items=[0, 1, 2], parallelism=2) as fold:
        trained = train(dataset=data.outputs["dataset"], fold=fold, folds=folds)
    summary = summarize(accuracies=dsl.Collected(trained.outputs["Output"]))
    with dsl.If(summary.outputs["Output"] > 0.9):
        announce(message="good enough")
    with dsl.Else():
        announce(message="needs work")
    return summary.outputs["Output"]
