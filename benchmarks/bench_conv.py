"""Speed of the from-scratch convolution (course_utils.scratch) against PyTorch on AlexNet conv1:
a 1x3x227x227 float32 input, 96 kernels 11x11x3, stride 4 -> 1x96x55x55.

The targets are measured with one thread for everything (NumPy's BLAS via threadpoolctl, which
scikit-learn installs, and torch.set_num_threads) and on the process's CPU time: the naive loops
are single-threaded anyway, and on a shared machine wall-clock timings of millisecond-sized work
mostly measure the other processes. Wall-clock times, also with the default threads, are reported
for information. torch and im2col alternate over several repeats; medians are reported.
The naive loops run on the first few of the 96 filters and the time is scaled up to all 96
(every filter costs the same), labelled so.
"""
import contextlib
import statistics
import time

import numpy as np
import torch
from threadpoolctl import threadpool_limits
from torch.nn import functional as F

from course_utils import scratch

REPEATS = 15
NAIVE_FILTERS = 4          # of 96, timed and extrapolated
IM2COL_TARGET = 3.0        # im2col at most this many times torch's time
NAIVE_TARGET = 300.0       # naive at least this many times im2col's time


@contextlib.contextmanager
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(limits=1):
            yield
    finally:
        torch.set_num_threads(before)


def _median_times(functions: dict, repeats: int = REPEATS, clock=time.process_time) -> dict:
    """Median seconds of each function on ``clock``, calling them in turn ``repeats`` times after a warm-up.

    The default clock is the process's CPU time: with one thread it counts the work done and not
    the time other programs on a shared machine held the CPU (wall-clock milliseconds on a busy
    2-core machine vary several-fold from run to run).
    """
    times = {name: [] for name in functions}
    for fn in functions.values():
        fn()
    for _ in range(repeats):
        for name, fn in functions.items():
            t = clock()
            fn()
            times[name].append(clock() - t)
    return {name: statistics.median(ts) for name, ts in times.items()}


def run() -> str:
    rng = np.random.default_rng(0)
    x = rng.random((1, 3, 227, 227), dtype=np.float32)
    w = (rng.standard_normal((96, 3, 11, 11)) * 0.05).astype(np.float32)
    b = (rng.standard_normal(96) * 0.1).astype(np.float32)
    xt, wt, bt = (torch.from_numpy(a) for a in (x, w, b))
    with torch.no_grad():
        reference = F.conv2d(xt, wt, bt, stride=4).numpy()
    out, cache = scratch.conv_forward_im2col(x, w, b, stride=4)
    error = float(np.abs(out - reference).max())
    naive_part, _ = scratch.conv_forward_naive(x, w[:NAIVE_FILTERS], b[:NAIVE_FILTERS], stride=4)
    naive_error = float(np.abs(naive_part - reference[:, :NAIVE_FILTERS]).max())

    def torch_forward():
        with torch.no_grad():
            F.conv2d(xt, wt, bt, stride=4)

    forward = {"torch": torch_forward, "im2col": lambda: scratch.conv_forward_im2col(x, w, b, stride=4)}

    dout = rng.standard_normal(reference.shape).astype(np.float32)
    xg, wg, bg = (t.clone().requires_grad_(True) for t in (xt, wt, bt))
    out = F.conv2d(xg, wg, bg, stride=4)
    dout_t = torch.from_numpy(dout)
    backward = {"torch": lambda: torch.autograd.grad(out, (xg, wg, bg), dout_t, retain_graph=True),
                "im2col": lambda: scratch.conv_backward_im2col(dout, cache)}

    feature_map = rng.random((1, 96, 55, 55), dtype=np.float32)
    fm_t = torch.from_numpy(feature_map)

    def torch_pool():
        with torch.no_grad():
            F.max_pool2d(fm_t, 3, 2)

    pool = {"torch": torch_pool, "scratch": lambda: scratch.max_pool_forward_im2col(feature_map, 3, 2)}

    with one_thread():
        fwd = _median_times(forward)
        bwd = _median_times(backward)
        pooled = _median_times(pool)
        wall = _median_times(forward, clock=time.perf_counter)
        naive_runs = []
        for _ in range(2):
            t = time.process_time()
            scratch.conv_forward_naive(x, w[:NAIVE_FILTERS], b[:NAIVE_FILTERS], stride=4)
            naive_runs.append(time.process_time() - t)
    naive_s = min(naive_runs) * 96 / NAIVE_FILTERS
    default = _median_times(forward, clock=time.perf_counter)

    im2col_ratio = fwd["im2col"] / fwd["torch"]
    naive_ratio = naive_s / fwd["im2col"]
    verdict = lambda ok: "met" if ok else "MISSED"  # noqa: E731
    ms = lambda s: f"{s * 1e3:.1f}"  # noqa: E731
    return (
        "AlexNet conv1 on one image: x 1x3x227x227 float32, 96 kernels 11x11x3, stride 4, output "
        "1x96x55x55 (X_col 363x3025, W_row 96x363). One thread each; CPU time, medians of "
        f"{REPEATS} alternating runs.\n\n"
        "| forward, one thread | CPU ms | vs torch |\n| --- | --- | --- |\n"
        f"| `torch.nn.functional.conv2d` | {ms(fwd['torch'])} | 1.0 |\n"
        f"| `scratch.conv_forward_im2col` | {ms(fwd['im2col'])} | {im2col_ratio:.2f} |\n"
        f"| `scratch.conv_forward_naive` (**extrapolated**: {NAIVE_FILTERS} of 96 filters timed, "
        f"x{96 // NAIVE_FILTERS}) | {ms(naive_s)} | {naive_s / fwd['torch']:.0f} |\n\n"
        f"Largest difference from torch (float32): im2col {error:.1e}, naive {naive_error:.1e}.\n\n"
        f"- im2col / torch = **{im2col_ratio:.2f}** (target at most {IM2COL_TARGET:g}: "
        f"**{verdict(im2col_ratio <= IM2COL_TARGET)}**)\n"
        f"- naive / im2col = **{naive_ratio:.0f}** (target at least {NAIVE_TARGET:g}: "
        f"**{verdict(naive_ratio >= NAIVE_TARGET)}**)\n\n"
        "For information (wall-clock milliseconds depend on what else the machine is running):\n\n"
        "| operation | torch ms | scratch ms |\n| --- | --- | --- |\n"
        f"| conv1 forward, one thread, wall clock | {ms(wall['torch'])} | {ms(wall['im2col'])} |\n"
        f"| conv1 forward, default threads ({torch.get_num_threads()}), wall clock | {ms(default['torch'])} | "
        f"{ms(default['im2col'])} |\n"
        f"| conv1 backward (dx, dw, db), one thread, CPU time | {ms(bwd['torch'])} | {ms(bwd['im2col'])} |\n"
        f"| max pooling 3x3 stride 2 on 1x96x55x55, one thread, CPU time | {ms(pooled['torch'])} | "
        f"{ms(pooled['scratch'])} |\n"
    )
