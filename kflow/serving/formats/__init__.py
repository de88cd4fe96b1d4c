"""Model formats: which files make which format, and the loader for each.

One table (`FORMATS`) names each format the way KServe's `modelFormat.name` does and
says which files identify it; `detect` walks it in order, and `load` imports the
format's module only when a model of that format is loaded, so serving a
scikit-learn model never imports torch or TensorFlow.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path

from kflow.serving.errors import ModelLoadError
from kflow.serving.model import Servable


@dataclass(frozen=True)
class Format:
    """A model format and the files that identify it."""

    name: str  # KServe's modelFormat name
    patterns: tuple[str, ...]  # globs inside a version directory (or a file's own name)
    module: str  # `kflow.serving.formats.<module>`, which defines `load(path) -> Servable`


FORMATS: tuple[Format, ...] = (
    Format("custom", ("model.py",), "custom"),
    Format("tensorflow", ("saved_model.pb", "saved_model.pbtxt"), "tensorflow"),
    Format("onnx", ("*.onnx",), "onnx"),
    Format("pytorch", ("*.pt2", "*.pt", "*.pth", "*.torchscript"), "pytorch"),
    Format("lightgbm", ("*.txt", "*.lgb"), "lightgbm"),  # and a `.bst` that is LightGBM text
    Format("xgboost", ("*.bst", "*.ubj", "*.xgb", "model.json"), "xgboost"),
    Format("sklearn", ("*.joblib", "*.pkl", "*.pickle"), "sklearn"),
)

BY_NAME = {fmt.name: fmt for fmt in FORMATS}
# KServe's other spellings of the same formats
ALIASES = {"scikit-learn": "sklearn", "torch": "pytorch", "onnxruntime": "onnx", "python": "custom"}


def _is_lightgbm_text(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(4) == b"tree"
    except OSError:
        return False


def model_file(path: Path, fmt: Format) -> Path | None:
    """The file (or directory, for SavedModels) of format `fmt` at `path`, if any."""
    if path.is_file():
        return path if any(path.match(p) for p in fmt.patterns) else None
    for pattern in fmt.patterns:
        for candidate in sorted(path.glob(pattern)):
            if fmt.name == "tensorflow":
                return path
            if fmt.name == "xgboost" and _is_lightgbm_text(candidate):
                continue
            return candidate
    if fmt.name == "lightgbm":
        for candidate in sorted(path.glob("*.bst")):
            if _is_lightgbm_text(candidate):
                return candidate
    return None


def resolve_name(name: str) -> Format:
    key = ALIASES.get(name.lower(), name.lower())
    try:
        return BY_NAME[key]
    except KeyError:
        raise ModelLoadError(
            f"unknown model format {name!r} (one of {', '.join(BY_NAME)})"
        ) from None


def detect(path: Path) -> tuple[Format, Path]:
    """The format of the model at `path` (a file or a version directory) and its file."""
    for fmt in FORMATS:
        found = model_file(path, fmt)
        if found is not None:
            return fmt, found
    listing = ", ".join(sorted(p.name for p in path.iterdir())) if path.is_dir() else path.name
    raise ModelLoadError(
        f"no model file found in {path} (found: {listing or 'nothing'}); expected one of "
        + ", ".join(f"{fmt.name}: {' '.join(fmt.patterns)}" for fmt in FORMATS)
        + " - or pass the format explicitly"
    )


def load(path: Path, format_name: str | None = None) -> Servable:
    """Load the model at `path`, of the given format or the one its files show."""
    if format_name:
        fmt = resolve_name(format_name)
        found = model_file(path, fmt)
        if found is None:
            raise ModelLoadError(
                f"no {fmt.name} model file in {path} (looked for {' '.join(fmt.patterns)})"
            )
    else:
        fmt, found = detect(path)
    module = importlib.import_module(f"kflow.serving.formats.{fmt.module}")
    try:
        servable: Servable = module.load(found)
    except ModelLoadError:
        raise
    except ImportError as exc:
        raise ModelLoadError(
            f"cannot load the {fmt.name} model {found}: {exc} (install the library for it)"
        ) from exc
    except Exception as exc:
        raise ModelLoadError(
            f"cannot load the {fmt.name} model {found}: {type(exc).__name__}: {exc}"
        ) from exc
    return servable
