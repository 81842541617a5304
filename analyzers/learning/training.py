"""Training, saving and loading the learnt models (`python main.py train --task sentiment|category`).

Layout under `models_dir` (default `var/models/`, never committed: models trained on licensed data must
not ship):

    <task>/<model_id>/model.joblib   the fitted scikit-learn estimator
    <task>/<model_id>/meta.json      data sha256, date, n, label counts, validation scores, versions
    <task>/active.json               {"model_id": ...}: the model the `model` backend loads

Validation scores come from a stratified held-out 20% of the given data; the saved model is then refitted
on all of it. Model files are pickles: load only files this bot wrote (they live in its own var/ dir).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import platform
import random
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import domain
from analyzers.learning.evaluation import evaluate
from analyzers.text import Doc, TextProcessor

logger = logging.getLogger(__name__)

TASKS = ("sentiment", "category")
LABELS = {"sentiment": domain.SENTIMENTS, "category": domain.CATEGORIES}
MIN_EXAMPLES = {"sentiment": 30, "category": 30}
MIN_PER_CLASS = 5  # classes with fewer examples are left out (the model cannot learn them)
MIN_CLASSES = 2
VALIDATION_SHARE = 0.2


class NotEnoughData(ValueError):
    """Too few labelled examples to train (and validate) a model."""


class ModelUnavailable(RuntimeError):
    """The active model is missing or unreadable; the message says which file and how to retrain."""


@dataclass(frozen=True)
class LoadedModel:
    estimator: Any
    meta: dict[str, Any]
    path: Path

    @property
    def model_id(self) -> str:
        return str(self.meta.get("model_id", self.path.parent.name))


def retrain_hint(task: str) -> str:
    return f"python main.py train --task {task} DATA.tsv (or --from-corrections)"


def data_sha256(examples: Sequence[tuple[str, str]]) -> str:
    digest = hashlib.sha256()
    for label, text in examples:
        digest.update(f"{label}\t{text}\n".encode("utf-8", "replace"))
    return digest.hexdigest()


def check_examples(task: str, examples: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """Validate labels and quantity; drop classes too small to learn. Raises NotEnoughData or ValueError."""
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; expected one of {', '.join(TASKS)}")
    allowed = set(LABELS[task])
    bad = sorted({label for label, _ in examples if label not in allowed})
    if bad:
        raise ValueError(f"unknown {task} label(s) {', '.join(bad)}; allowed: {', '.join(LABELS[task])}")
    counts = Counter(label for label, _ in examples)
    kept = {label for label, n in counts.items() if n >= MIN_PER_CLASS}
    dropped = sorted(set(counts) - kept)
    usable = [(label, text) for label, text in examples if label in kept]
    if len(usable) < MIN_EXAMPLES[task] or len(kept) < MIN_CLASSES:
        raise NotEnoughData(
            f"not enough labelled examples to train the {task} model: {len(examples)} given "
            f"({', '.join(f'{k}={v}' for k, v in sorted(counts.items())) or 'none'}); need at least "
            f"{MIN_EXAMPLES[task]} in at least {MIN_CLASSES} classes with {MIN_PER_CLASS}+ examples each"
        )
    if dropped:
        logger.warning("classes with fewer than %d examples left out of training: %s", MIN_PER_CLASS, dropped)
    return usable


def _stratified_split(labels: Sequence[str], share: float, seed: int = 13) -> tuple[list[int], list[int]]:
    by_label: dict[str, list[int]] = {}
    for i, label in enumerate(labels):
        by_label.setdefault(label, []).append(i)
    rng = random.Random(seed)
    train: list[int] = []
    held: list[int] = []
    for indices in by_label.values():
        rng.shuffle(indices)
        k = max(1, round(len(indices) * share))
        held.extend(indices[:k])
        train.extend(indices[k:])
    return sorted(train), sorted(held)


def fit_estimator(task: str, docs: Sequence[Doc], labels: Sequence[str]) -> Any:
    from analyzers.learning.features import build_model

    smallest = min(Counter(labels).values())
    estimator = build_model(task, cv=max(2, min(5, smallest)))
    estimator.fit(list(docs), list(labels))
    return estimator


def train_model(
    task: str,
    examples: Sequence[tuple[str, str]],
    models_dir: Path,
    *,
    source: str,
    processor: TextProcessor | None = None,
    activate: bool = True,
) -> dict[str, Any]:
    """Train, validate on a held-out split, refit on everything, save with metadata, mark active.

    `examples` are (label, text) pairs. Returns the metadata written to meta.json.
    """
    import joblib
    import sklearn

    from analyzers.categories import RULES_VERSION
    from analyzers.processing import default_processor
    from analyzers.sentiment.lexicon_es import LEXICON_VERSION

    usable = check_examples(task, examples)
    processor = processor or default_processor()
    docs = [processor.prepare(text) for _, text in usable]
    labels = [label for label, _ in usable]

    train_idx, held_idx = _stratified_split(labels, VALIDATION_SHARE)
    estimator = fit_estimator(task, [docs[i] for i in train_idx], [labels[i] for i in train_idx])
    predicted = list(estimator.predict([docs[i] for i in held_idx]))
    validation = evaluate([labels[i] for i in held_idx], predicted, [c for c in LABELS[task] if c in set(labels)])
    final = fit_estimator(task, docs, labels)

    created = datetime.now(UTC)
    sha = data_sha256(usable)
    model_id = f"{created:%Y%m%dT%H%M%SZ}-{sha[:8]}"
    meta: dict[str, Any] = {
        "task": task,
        "model_id": model_id,
        "created_at": created.isoformat(),
        "source": source,
        "data_sha256": sha,
        "n_examples": len(usable),
        "label_counts": dict(sorted(Counter(labels).items())),
        "validation": {"method": f"stratified hold-out {VALIDATION_SHARE:.0%}, then refit on all data",
                       **validation.as_dict()},
        "classes": [str(c) for c in final.classes_],
        "versions": {
            "sklearn": sklearn.__version__,
            "python": platform.python_version(),
            "lexicon": LEXICON_VERSION,
            "category_rules": RULES_VERSION,
        },
    }
    target = Path(models_dir) / task / model_id
    target.mkdir(parents=True, exist_ok=True)
    joblib.dump(final, target / "model.joblib")
    _write_json(target / "meta.json", meta)
    if activate:
        set_active(task, model_id, models_dir)
    logger.info("trained %s model %s on %d examples (validation macro-F1 %.3f)",
                task, model_id, len(usable), validation.macro_f1)
    return meta


def _write_json(path: Path, data: dict[str, Any]) -> None:
    """Write atomically: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, ensure_ascii=False, indent=2)
            fh.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def set_active(task: str, model_id: str, models_dir: Path) -> None:
    model_file = Path(models_dir) / task / model_id / "model.joblib"
    if not model_file.exists():
        raise ModelUnavailable(f"cannot activate {model_id}: {model_file} does not exist")
    _write_json(Path(models_dir) / task / "active.json",
                {"model_id": model_id, "activated_at": datetime.now(UTC).isoformat()})


def active_model_path(task: str, models_dir: Path) -> Path:
    """The active model's file, or ModelUnavailable naming what is missing and how to fix it."""
    pointer = Path(models_dir) / task / "active.json"
    if not pointer.exists():
        raise ModelUnavailable(
            f"no active {task} model: {pointer} does not exist; train one with {retrain_hint(task)}"
        )
    try:
        model_id = json.loads(pointer.read_text(encoding="utf-8"))["model_id"]
        if not isinstance(model_id, str) or "/" in model_id or model_id.startswith("."):
            raise ValueError(f"bad model_id {model_id!r}")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelUnavailable(
            f"{pointer} is corrupt ({exc}); retrain with {retrain_hint(task)}"
        ) from None
    return Path(models_dir) / task / model_id / "model.joblib"


def load_active(task: str, models_dir: Path) -> LoadedModel:
    import joblib

    path = active_model_path(task, models_dir)
    if not path.exists():
        raise ModelUnavailable(f"{task} model file {path} is missing; retrain with {retrain_hint(task)}")
    try:
        estimator = joblib.load(path)
    except Exception as exc:  # pickle, EOF, zlib, import errors: all mean "unusable file"
        raise ModelUnavailable(
            f"{task} model file {path} is corrupt or unreadable ({type(exc).__name__}: {exc}); "
            f"retrain with {retrain_hint(task)}"
        ) from None
    if not hasattr(estimator, "predict_proba"):
        raise ModelUnavailable(f"{path} does not hold a classifier; retrain with {retrain_hint(task)}")
    meta_path = path.with_name("meta.json")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        logger.warning("model metadata %s is missing or unreadable; using the model anyway", meta_path)
        meta = {"model_id": path.parent.name}
    _warn_version_skew(meta, path)
    return LoadedModel(estimator, meta, path)


def _warn_version_skew(meta: dict[str, Any], path: Path) -> None:
    import sklearn

    trained_with = (meta.get("versions") or {}).get("sklearn")
    if trained_with and trained_with != sklearn.__version__:
        logger.warning(
            "model %s was trained with scikit-learn %s but %s is installed; retrain if results look wrong",
            path, trained_with, sklearn.__version__,
        )
