"""The trained networks the course ships in data/networks, so full mode needs no training wait.

For each network NAME there are three files, written only by ``python -m course_utils.zoo ship``
(``make ship``) from a full-mode training run, and listed in data/networks/SHA256SUMS:

- NAME.pt: the state_dict, loaded with ``weights_only=True`` after its sha256 is checked;
- NAME.json: the record: the recipe's description (``zoo.Recipe.describe()``), the training history,
  how and where it was trained (``training_record``) and its train, validation and test accuracy;
- NAME.md: the same record for people to read.

``zoo.trained`` loads a shipped network only when its recorded recipe equals the current one.
"""
from __future__ import annotations

import datetime
import hashlib
import json
import os
import platform
from pathlib import Path

import torch
from torch import nn

from . import config, data
from .train import History

SHIPPED_DIR = config.DATA_DIR / "networks"


def plain(value):
    """``value`` as it reads back from JSON (tuples become lists), so records compare equal."""
    return json.loads(json.dumps(value, default=repr))


def machine() -> str:
    """E.g. 'AMD EPYC, 2 cores': the CPU model and core count (and the GPU, when there is one)."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    text = f"{cpu}, {os.cpu_count()} cores"
    if torch.cuda.is_available():
        text += f", GPU {torch.cuda.get_device_name(0)}"
    return text


def training_record(wall_seconds: float, cpu_seconds: float) -> dict:
    """How a network was trained just now: date, machine, threads, device, versions and times."""
    return {"date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"), "machine": machine(),
            "threads": torch.get_num_threads(), "device": str(config.get_device()),
            "torch": torch.__version__, "python": platform.python_version(),
            "wall_seconds": round(wall_seconds, 1), "cpu_seconds": round(cpu_seconds, 1)}


def path(name: str) -> Path:
    return SHIPPED_DIR / f"{name}.pt"


def record(name: str) -> dict | None:
    """The shipped record of network ``name`` (see the module docstring), or None when the course
    ships no such network."""
    meta = path(name).with_suffix(".json")
    return json.loads(meta.read_text()) if meta.exists() else None


def differences(recorded: dict, current: dict, prefix: str = "") -> list[str]:
    """The keys (dotted) where two recipe descriptions differ, e.g. ['fit.lr', 'epochs']."""
    keys = sorted(set(recorded) | set(current)) if isinstance(recorded, dict) and isinstance(current, dict) else []
    if not keys:
        return [] if recorded == current else [prefix.rstrip(".") or "(whole recipe)"]
    return [d for k in keys for d in differences(recorded.get(k), current.get(k), f"{prefix}{k}.")]


def load(model: nn.Module, name: str, rec: dict) -> History:
    """Load shipped network ``name`` into ``model`` (sha256-checked, weights only); the History in
    its record ``rec``. Raises data.DataError when the file is missing or damaged."""
    data.verify_file(path(name))
    model.load_state_dict(torch.load(path(name), map_location="cpu", weights_only=True))
    return History(**rec["history"])


def duration(seconds: float) -> str:
    """'45 s' or '12 min'."""
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"


def describe(rec: dict) -> str:
    """One line: where the shipped network came from and how good it is."""
    acc, how = rec["accuracy"], rec["trained"]
    return (f"validation {acc['val']:.2%}, test {acc['test']:.2%}; trained {how['date'][:10]} in "
            f"{duration(how['wall_seconds'])} on {how['machine']} ({how['threads']} thread(s), "
            f"{duration(how['cpu_seconds'])} of CPU time), torch {how['torch']}")


def readme(name: str, rec: dict, title: str) -> str:
    """NAME.md: the record for people to read."""
    acc, how, r = rec["accuracy"], rec["trained"], rec["recipe"]
    history = rec["history"]
    best = max(history["val_acc"]) if history["val_acc"] else float("nan")
    rows = [("network", f"{title} (`zoo.RECIPES[{name!r}]`, built by `{r['build']['function']}`"
                        f"{' with ' + json.dumps(r['build']['kwargs']) if r['build']['kwargs'] else ''})"),
            ("training", f"{r['epochs']} epochs on the 54,000-image training split, fit settings "
                         f"`{json.dumps(r['fit'])}`, augmentation "
                         f"{'`' + json.dumps(r['augment']['kwargs']) + '`' if r['augment'] else 'none'}"),
            ("train accuracy (finished model, eval mode)", f"{acc['train']:.2%}"),
            ("validation accuracy (6,000 images)", f"{acc['val']:.2%} (best epoch {best:.2%})"),
            ("test accuracy (10,000 images, evaluated once)", f"{acc['test']:.2%}"),
            ("parameters", f"{rec['parameters']:,}"),
            ("trained", f"{how['date']} on {how['machine']}, {how['threads']} thread(s), device {how['device']}"),
            ("time", f"{how['wall_seconds'] / 60:.1f} min wall, {how['cpu_seconds'] / 60:.1f} CPU-min"),
            ("versions", f"torch {how['torch']}, Python {how['python']}"),
            ("sha256 of the weights", f"`{rec['sha256']}`")]
    table = "\n".join(f"| {k} | {v} |" for k, v in rows)
    return (f"# {name}: {title}\n\nShipped with the course so that full mode needs no training wait; "
            f"`zoo.trained({name!r})` loads it while its recipe is unchanged.\n\n| | |\n| --- | --- |\n{table}\n\n"
            f"Train it afresh: `zoo.trained({name!r}, retrain=True)` in a notebook, or `make bench` "
            f"then `make ship NAMES={name}` to replace this copy.\n")


def write(name: str, model: nn.Module, rec: dict, title: str) -> None:
    """Ship ``model`` as network ``name`` with record ``rec`` (adds parameters and sha256) and
    refresh SHA256SUMS."""
    SHIPPED_DIR.mkdir(parents=True, exist_ok=True)
    torch.save({k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}, path(name))
    digest = hashlib.sha256(path(name).read_bytes()).hexdigest()
    rec = {**rec, "parameters": sum(p.numel() for p in model.parameters()), "sha256": digest}
    path(name).with_suffix(".json").write_text(json.dumps(plain(rec), indent=1) + "\n")
    path(name).with_suffix(".md").write_text(readme(name, rec, title))
    sums = SHIPPED_DIR / "SHA256SUMS"
    digests = data.expected_sums(SHIPPED_DIR) if sums.exists() else {}
    digests[path(name).name] = digest
    sums.write_text("".join(f"{d}  {file}\n" for file, d in sorted(digests.items())))
    write_index()


def write_index() -> None:
    """data/networks/README.md: one row per shipped network."""
    rows = []
    for meta in sorted(SHIPPED_DIR.glob("*.json")):
        rec = json.loads(meta.read_text())
        acc, how = rec["accuracy"], rec["trained"]
        rows.append(f"| [{meta.stem}]({meta.stem}.md) | {acc['train']:.2%} | {acc['val']:.2%} | {acc['test']:.2%} "
                    f"| {rec['parameters']:,} | {how['date'][:10]}, {duration(how['wall_seconds'])} "
                    f"({duration(how['cpu_seconds'])} of CPU, {how['threads']} thread(s)) |")
    (SHIPPED_DIR / "README.md").write_text(
        "# Trained course networks\n\nThe networks of `course_utils.zoo.RECIPES`, trained in full mode on the "
        "54,000-image training split and shipped so that the lessons need no training wait: "
        "`zoo.trained(name)` loads one (sha256-checked against SHA256SUMS, weights only) while its recipe is "
        "unchanged. Written only by `make ship` from a `make bench` run; each network's page has its recipe, "
        "machine and versions.\n\n| network | train | validation | test (evaluated once) | parameters | trained |\n"
        "| --- | ---: | ---: | ---: | ---: | --- |\n" + "\n".join(rows) + "\n")
