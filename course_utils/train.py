"""Training and evaluation on in-memory tensors, with a history for plots.

Batches are taken by indexing one big tensor (no DataLoader, no per-item transforms):
on Fashion-MNIST this is about as fast as a bare PyTorch loop, which benchmarks/ checks.
``fit`` watches a validation set after every epoch (never the test set: that is evaluated once,
on the final model) and can stop early and keep the epoch that did best on it.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Callable

import torch
from torch import nn
from torch.nn import functional as F
from tqdm.auto import tqdm

from . import config


@dataclass
class History:
    """Per-epoch numbers of one training run (train accuracy is the running mean over the epoch,
    validation numbers are measured after it in evaluation mode; empty without a validation set)."""

    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)

    @property
    def epochs(self) -> int:
        return len(self.train_loss)

    @property
    def best_epoch(self) -> int | None:
        """The epoch (1-based) with the highest validation accuracy, the first one on a tie."""
        return self.val_acc.index(max(self.val_acc)) + 1 if self.val_acc else None

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds)

    def to_dict(self) -> dict:
        return asdict(self)


def _make_optimizer(model: nn.Module, name: str, lr: float, weight_decay: float):
    if name == "adam":
        return torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    if name == "adamw":
        return torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    if name == "sgd":
        return torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, nesterov=True,
                               weight_decay=weight_decay)
    raise ValueError(f"optimizer must be 'adam', 'adamw' or 'sgd', not {name!r}")


@torch.no_grad()
def predict(model: nn.Module, x: torch.Tensor, batch_size: int = 1000,
            device: torch.device | None = None) -> torch.Tensor:
    """Logits for inputs x: (N, ...) -> (N, classes), computed in eval mode, returned on the CPU."""
    device = device or next(model.parameters()).device
    was_training = model.training
    model.eval()
    out = [model(x[i:i + batch_size].to(device)).float().cpu() for i in range(0, len(x), batch_size)]
    model.train(was_training)
    return torch.cat(out)


def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 1000,
             device: torch.device | None = None) -> tuple[float, float]:
    """Mean cross-entropy loss and accuracy (0..1) of ``model`` on x: (N, ...), y: (N,)."""
    logits = predict(model, x, batch_size, device)
    loss = F.cross_entropy(logits, y.cpu()).item()
    acc = (logits.argmax(1) == y.cpu()).float().mean().item()
    return loss, acc


def fit(model: nn.Module, x_train: torch.Tensor, y_train: torch.Tensor, *,
        val: tuple[torch.Tensor, torch.Tensor] | None = None,
        epochs: int = 5, batch_size: int = 64, lr: float = 1e-3, optimizer: str = "adam",
        weight_decay: float = 0.0, schedule: str | None = None, label_smoothing: float = 0.0,
        augment: Callable[[torch.Tensor], torch.Tensor] | None = None,
        restore_best: bool = False, patience: int | None = None,
        device: torch.device | None = None, seed: int = 0, progress: bool = True,
        name: str | None = None) -> History:
    """Train ``model`` with mini-batch cross-entropy and return its History.

    x_train: (N, ...) float, y_train: (N,) int64 class indices. ``val=(x_val, y_val)`` is evaluated
    after every epoch (History.val_loss, History.val_acc). ``schedule='onecycle'`` uses PyTorch's
    OneCycleLR with ``lr`` as the peak. ``augment`` maps a batch on the device to an augmented batch.

    Early stopping, both judged on validation accuracy (they need ``val``): ``patience=k`` stops
    when k epochs in a row did not beat the best one so far; ``restore_best=True`` leaves the model
    with the weights of its best epoch (History.best_epoch) instead of the last one.

    The same seed gives the same history. ``name`` labels the progress bar (default: the model's
    class name).
    """
    if val is None and (restore_best or patience is not None):
        raise ValueError("restore_best and patience judge the epochs on validation data: pass "
                         "val=(x_val, y_val).")
    if patience is not None and patience < 1:
        raise ValueError(f"patience must be a whole number of epochs >= 1, not {patience!r}.")
    config.seed_everything(seed)
    device = device or config.get_device()
    model.to(device)
    x_train, y_train = x_train.to(device), y_train.to(device)
    opt = _make_optimizer(model, optimizer, lr, weight_decay)
    steps = (len(x_train) + batch_size - 1) // batch_size
    sched = None
    if schedule == "onecycle":
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=epochs * steps)
    elif schedule is not None:
        raise ValueError(f"schedule must be None or 'onecycle', not {schedule!r}")
    gen = torch.Generator(device="cpu").manual_seed(seed)
    history = History()
    best_state = None
    bar = tqdm(total=epochs * steps, desc=name or type(model).__name__, unit="batch", disable=not progress)
    for epoch in range(epochs):
        start = time.perf_counter()
        model.train()
        order = torch.randperm(len(x_train), generator=gen).to(device)
        loss_sum = torch.zeros((), device=device)
        correct = torch.zeros((), device=device, dtype=torch.long)
        for i in range(steps):
            idx = order[i * batch_size:(i + 1) * batch_size]
            xb, yb = x_train[idx], y_train[idx]
            if augment is not None:
                xb = augment(xb)
            logits = model(xb)
            loss = F.cross_entropy(logits, yb, label_smoothing=label_smoothing)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if sched is not None:
                sched.step()
            loss_sum += loss.detach() * len(yb)
            correct += (logits.detach().argmax(1) == yb).sum()
            bar.update()
        history.train_loss.append(loss_sum.item() / len(x_train))
        history.train_acc.append(correct.item() / len(x_train))
        history.seconds.append(time.perf_counter() - start)
        postfix = {"epoch": epoch + 1, "loss": f"{history.train_loss[-1]:.3f}",
                   "train_acc": f"{history.train_acc[-1]:.3f}"}
        if val is not None:
            val_loss, val_acc = evaluate(model, *val, device=device)
            history.val_loss.append(val_loss)
            history.val_acc.append(val_acc)
            postfix["val_acc"] = f"{val_acc:.3f}"
            if restore_best and history.best_epoch == epoch + 1:
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        bar.set_postfix(postfix)
        if patience is not None and history.epochs - history.best_epoch >= patience:
            break
    bar.close()
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    return history
