"""The demo's pipeline, written with the kfp v2 DSL: digits in, a checked model out.

    load-digits -> train -> evaluate -> (accuracy >= 0.9) approve

Plain `kfp`: the same file compiles with `kfp.compiler` and runs on Kubeflow
Pipelines. On kflow each component runs in a pod through kfp's own executor, its
artifacts (the data sets, the model, the metrics) land in kflow's content-addressed
artifact store, and a second run with the same inputs reuses every task from the cache.
"""

# no `from __future__ import annotations`: kfp reads the annotations as types
from kfp import dsl
from kfp.dsl import ClassificationMetrics, Dataset, Input, Metrics, Model, Output

IMAGE = "python:3.11"  # recorded, not pulled: kflow runs the installed packages


@dsl.component(base_image=IMAGE)
def load_digits(test_fraction: float, train: Output[Dataset], test: Output[Dataset]) -> None:
    """scikit-learn's 8x8 digits (shipped with the package), split once for good."""
    import numpy as np
    from sklearn.datasets import load_digits as digits
    from sklearn.model_selection import train_test_split

    x, y = digits(return_X_y=True)
    x_train, x_test, y_train, y_test = train_test_split(
        x / 16.0, y, test_size=test_fraction, random_state=0, stratify=y
    )
    for out, (xs, ys) in ((train, (x_train, y_train)), (test, (x_test, y_test))):
        with open(out.path, "wb") as fh:
            np.savez(fh, x=xs, y=ys)
        out.metadata["rows"] = len(ys)


@dsl.component(base_image=IMAGE)
def train(data: Input[Dataset], regularization: float, model: Output[Model]) -> None:
    """A logistic regression over the 64 pixels."""
    import joblib
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    with open(data.path, "rb") as fh:
        saved = np.load(fh)
        x, y = saved["x"], saved["y"]
    classifier = LogisticRegression(C=regularization, max_iter=500).fit(x, y)
    with open(model.path, "wb") as fh:
        joblib.dump(classifier, fh)
    model.metadata["framework"] = "sklearn"


@dsl.component(base_image=IMAGE)
def evaluate(
    model: Input[Model],
    data: Input[Dataset],
    metrics: Output[Metrics],
    confusion: Output[ClassificationMetrics],
) -> float:
    """Accuracy on the held-out digits, and where the model confuses them."""
    import joblib
    import numpy as np
    from sklearn.metrics import confusion_matrix

    with open(model.path, "rb") as fh:
        classifier = joblib.load(fh)
    with open(data.path, "rb") as fh:
        saved = np.load(fh)
        x, y = saved["x"], saved["y"]
    predicted = classifier.predict(x)
    accuracy = float((predicted == y).mean())
    metrics.log_metric("accuracy", accuracy)
    labels = [str(d) for d in range(10)]
    confusion.log_confusion_matrix(labels, confusion_matrix(y, predicted).tolist())
    return accuracy


@dsl.component(base_image=IMAGE)
def approve(accuracy: float) -> str:
    verdict = f"approved: accuracy {accuracy:.4f} on held-out digits"
    print(verdict)
    return verdict


@dsl.pipeline(name="mnist-pipeline", description="Digits in, a checked model out.")
def mnist_pipeline(test_fraction: float = 0.25, regularization: float = 1.0) -> float:
    data = load_digits(test_fraction=test_fraction)
    trained = train(data=data.outputs["train"], regularization=regularization)
    scored = evaluate(model=trained.outputs["model"], data=data.outputs["test"])
    with dsl.If(scored.outputs["Output"] >= 0.9):
        approve(accuracy=scored.outputs["Output"])
    return scored.outputs["Output"]
