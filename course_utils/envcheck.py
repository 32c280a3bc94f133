"""The environment check of lesson 00: versions, device, and whether the course data is intact."""
from __future__ import annotations

import platform

import matplotlib
import numpy as np
import torch
import torchvision

from . import config, data


def environment_report() -> dict[str, str]:
    """Versions, the compute device and the state of every shipped data file, as text values."""
    report = {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "numpy": np.__version__,
        "matplotlib": matplotlib.__version__,
        "device": str(config.get_device()),
        "fast mode": "on" if config.is_fast() else "off",
    }
    files = [data.FASHION_DIR / name for pair in data._FILES.values() for name in pair]
    files += sorted(data.PHOTO_DIR.glob("*.png"))
    for path in files:
        try:
            data.verify_file(path)
            report[f"data/{path.parent.name}/{path.name}"] = "ok"
        except data.DataError as err:
            report[f"data/{path.parent.name}/{path.name}"] = f"PROBLEM: {err}"
    return report


def check_environment() -> dict[str, str]:
    """Print the report; raise DataError with the fix when any data file is missing or damaged."""
    report = environment_report()
    width = max(map(len, report))
    for key, value in report.items():
        print(f"{key:<{width}}  {value}")
    problems = [v for v in report.values() if v.startswith("PROBLEM")]
    if problems:
        raise data.DataError(f"{len(problems)} data file(s) need attention:\n" + "\n".join(problems))
    print("\nEverything is in place.")
    return report
