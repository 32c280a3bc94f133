"""Looking at a trained classifier's answers: confusion matrix, most confused class pairs,
train/validation/test accuracies and the train - validation gap, a comparison table of several
trained networks (lessons 05 and 06), and class probabilities of shifted images (lesson 05's widget).

Plain tensors in, plain tensors or numbers out; the figures live in ``plots``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import torch
from torch import nn

from .train import History, evaluate, predict
from .transforms import shift


def confusion_matrix(y_true: torch.Tensor, y_pred: torch.Tensor, num_classes: int = 10) -> torch.Tensor:
    """Counts (num_classes, num_classes), int64: entry [t, p] is how many items of true class t
    were predicted as p. y_true, y_pred: (N,) class indices in 0..num_classes-1."""
    y_true, y_pred = torch.as_tensor(y_true).long().flatten(), torch.as_tensor(y_pred).long().flatten()
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true has {len(y_true)} items but y_pred has {len(y_pred)}; pass one "
                         "prediction per label.")
    for name, y in (("y_true", y_true), ("y_pred", y_pred)):
        if len(y) and (y.min() < 0 or y.max() >= num_classes):
            raise ValueError(f"{name} holds classes from {int(y.min())} to {int(y.max())}, outside "
                             f"0..{num_classes - 1}; pass num_classes or class indices, not logits.")
    return torch.bincount(y_true * num_classes + y_pred, minlength=num_classes ** 2).reshape(
        num_classes, num_classes)


def per_class_accuracy(cm: torch.Tensor) -> torch.Tensor:
    """Recall of each class from a confusion matrix (C, C): diagonal / row sums, float (C,)."""
    cm = cm.double()
    return cm.diagonal() / cm.sum(1).clamp_min(1)


def most_confused_pairs(cm: torch.Tensor, k: int = 5, symmetric: bool = False) -> list[tuple[int, int, int]]:
    """The k largest off-diagonal entries of a confusion matrix (C, C), largest first.

    Returns (true class, predicted class, count) triples. With ``symmetric=True`` the two
    directions of a pair are added up and each unordered pair (a, b), a < b, appears once.
    Ties are broken by class index, so the result is deterministic.
    """
    cm = cm.long().clone()
    if symmetric:
        cm = torch.triu(cm + cm.T, diagonal=1)
    else:
        cm.fill_diagonal_(0)
    c = cm.shape[0]
    cells = sorted(((int(cm[i, j]), i, j) for i in range(c) for j in range(c) if cm[i, j] > 0),
                   key=lambda t: (-t[0], t[1], t[2]))
    return [(i, j, n) for n, i, j in cells[:k]]


@dataclass(frozen=True)
class AccuracyReport:
    """Accuracies (0..1) of one model measured in evaluation mode; gap = train - validation.
    test_acc stays None until the model is final and the test set is used, once."""

    train_acc: float
    val_acc: float
    test_acc: float | None = None

    @property
    def gap(self) -> float:
        return self.train_acc - self.val_acc


def accuracy_report(model: nn.Module, train: tuple[torch.Tensor, torch.Tensor],
                    val: tuple[torch.Tensor, torch.Tensor],
                    test: tuple[torch.Tensor, torch.Tensor] | None = None) -> AccuracyReport:
    """Accuracy of ``model`` in evaluation mode (dropout off, batch-norm running stats) on each
    (x, y) pair given: train, validation and, for a final model only, test.

    Unlike History.train_acc (a running mean during the epoch, with dropout and augmentation
    on), this measures the finished model on the plain training images, so the gap is fair.
    """
    return AccuracyReport(evaluate(model, *train)[1], evaluate(model, *val)[1],
                          None if test is None else evaluate(model, *test)[1])


def class_probabilities(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Softmax of the model's logits for x: (N, C, H, W) -> (N, classes), on the CPU."""
    return predict(model, x).softmax(dim=1)


def shifted_probabilities(models: Mapping[str, nn.Module], image: torch.Tensor, dx: int = 0,
                          dy: int = 0) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """What lesson 05's widget shows: ``image`` (1, H, W) shifted by (dx, dy) pixels (zero fill;
    dx > 0 right, dy > 0 down), and each model's class probabilities (classes,) for it."""
    if image.ndim != 3:
        raise ValueError(f"image must be (C, H, W), got shape {tuple(image.shape)}; "
                         "index one item of the batch, e.g. x_val[i].")
    moved = shift(image, dx, dy)
    return moved, {name: class_probabilities(m, moved[None])[0] for name, m in models.items()}


@dataclass(frozen=True)
class ModelResult:
    """One row of a model comparison: accuracies 0..1 measured in evaluation mode (test_acc only
    for final models); epochs and seconds of the training run that produced the weights."""

    name: str
    params: int
    report: AccuracyReport
    epochs: int
    seconds: float


def results_markdown(results: list[ModelResult]) -> str:
    """A Markdown table of model results (parameters, accuracies in %, gap in points, time); the
    test column appears only when some row has a test accuracy."""
    with_test = any(r.report.test_acc is not None for r in results)
    test_head, test_rule = (" test acc |", " ---: |") if with_test else ("", "")
    lines = [f"| model | parameters | train acc | validation acc |{test_head} gap (points) | epochs | training time |",
             f"| --- | ---: | ---: | ---: |{test_rule} ---: | ---: | ---: |"]
    for r in results:
        acc = r.report
        test = ("" if not with_test else " - |" if acc.test_acc is None else f" {acc.test_acc:.2%} |")
        lines.append(f"| {r.name} | {r.params:,} | {acc.train_acc:.2%} | {acc.val_acc:.2%} |{test} "
                     f"{acc.gap * 100:.1f} | {r.epochs} | {r.seconds:.0f} s |")
    return "\n".join(lines)


def compare_runs(runs: Mapping[str, tuple[nn.Module, History]], train: tuple[torch.Tensor, torch.Tensor],
                 val: tuple[torch.Tensor, torch.Tensor]) -> list[ModelResult]:
    """One ModelResult per ``{label: (model, history)}``, in the mapping's order: the model's parameter
    count, its accuracies measured now in evaluation mode on ``train`` and ``val`` (each a pair
    x: (N, C, H, W), y: (N,)), and the epochs and seconds its history records. The test set is not
    used here. ``results_markdown`` turns the rows into a table."""
    return [ModelResult(label, sum(p.numel() for p in model.parameters()),
                        accuracy_report(model, train, val), history.epochs, history.total_seconds)
            for label, (model, history) in runs.items()]
