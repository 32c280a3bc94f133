"""Looking at a trained classifier's answers: confusion matrix, most confused class pairs,
train/test accuracy and gap, and class probabilities of shifted images (lesson 05's widget).

Plain tensors in, plain tensors or numbers out; the figures live in ``plots``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import torch
from torch import nn

from .train import evaluate, predict
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
    """Accuracies (0..1) of one model measured in evaluation mode; gap = train - test."""

    train_acc: float
    test_acc: float

    @property
    def gap(self) -> float:
        return self.train_acc - self.test_acc


def accuracy_report(model: nn.Module, x_train: torch.Tensor, y_train: torch.Tensor,
                    x_test: torch.Tensor, y_test: torch.Tensor) -> AccuracyReport:
    """Train and test accuracy of ``model`` in evaluation mode (dropout off, batch-norm running stats).

    Unlike History.train_acc (a running mean during the epoch, with dropout and augmentation
    on), this measures the finished model on the plain training images, so the gap is fair.
    """
    return AccuracyReport(evaluate(model, x_train, y_train)[1], evaluate(model, x_test, y_test)[1])


def class_probabilities(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Softmax of the model's logits for x: (N, C, H, W) -> (N, classes), on the CPU."""
    return predict(model, x).softmax(dim=1)


def shifted_probabilities(models: Mapping[str, nn.Module], image: torch.Tensor, dx: int = 0,
                          dy: int = 0) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """What lesson 05's widget shows: ``image`` (1, H, W) shifted by (dx, dy) pixels (zero fill;
    dx > 0 right, dy > 0 down), and each model's class probabilities (classes,) for it."""
    if image.ndim != 3:
        raise ValueError(f"image must be (C, H, W), got shape {tuple(image.shape)}; "
                         "index one item of the batch, e.g. x_test[i].")
    moved = shift(image, dx, dy)
    return moved, {name: class_probabilities(m, moved[None])[0] for name, m in models.items()}


@dataclass(frozen=True)
class ModelResult:
    """One row of a model comparison: accuracies 0..1 measured in evaluation mode."""

    name: str
    params: int
    train_acc: float
    test_acc: float
    epochs: int
    seconds: float  # training time of the run that produced the weights

    @property
    def gap(self) -> float:
        return self.train_acc - self.test_acc


def results_markdown(results: list[ModelResult]) -> str:
    """A Markdown table of model results (parameters, accuracies in %, gap in points, time)."""
    lines = ["| model | parameters | train acc | test acc | gap (points) | epochs | training time |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in results:
        lines.append(f"| {r.name} | {r.params:,} | {r.train_acc:.2%} | {r.test_acc:.2%} | "
                     f"{r.gap * 100:.1f} | {r.epochs} | {r.seconds:.0f} s |")
    return "\n".join(lines)
