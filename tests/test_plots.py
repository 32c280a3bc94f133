"""Every figure in course_utils.plots has a title and, where its axes show data, axis labels
(DESIGN.md). Each function is called with small inputs on the Agg backend."""
import dataclasses

import matplotlib
import numpy as np
import pytest
import torch

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from course_utils import activations, features, models, plots, train  # noqa: E402
from course_utils.summary import layer_table  # noqa: E402

RNG = np.random.default_rng(0)


def _history(epochs: int = 3) -> train.History:
    """A History with every per-epoch list filled (whatever fields it has)."""
    return train.History(**{f.name: list(RNG.uniform(0.1, 0.9, epochs)) for f in dataclasses.fields(train.History)})


FIGURES = {
    "show_images": lambda: plots.show_images(torch.rand(5, 1, 8, 8)),
    "show_images labelled": lambda: plots.show_images(torch.rand(5, 8, 8), labels=[0, 1, 2, 3, 4],
                                                      preds=[0, 1, 2, 0, 0], ncols=3, title="five"),
    "show_panels": lambda: plots.show_panels({"photo": RNG.random((6, 9, 3)), "red": RNG.random((6, 9))},
                                             title="a photo and a channel"),
    "show_panels grid": lambda: plots.show_panels({f"t{i}": torch.randn(5, 5) for i in range(5)}, ncols=3,
                                                  cmap="bwr", vmin=-1, vmax=1),
    "show_pixel_values": lambda: plots.show_pixel_values(torch.randint(0, 256, (6, 6), dtype=torch.uint8),
                                                         title="numbers"),
    "show_surfaces": lambda: plots.show_surfaces(*np.meshgrid(np.linspace(-1, 1, 5), np.linspace(-1, 1, 5)),
                                                 {"flat": torch.zeros(25), "wavy": RNG.random((5, 5))}),
    "plot_activation_curves": lambda: plots.plot_activation_curves(list(activations.ACTIVATIONS.values())),
    "plot_block_experiment": lambda: plots.plot_block_experiment(
        [features.BlockResult(b, (28 // b) ** 2, 0.8 - b / 100, 0.3 + b / 100) for b in (1, 4, 14)]),
    "plot_history": lambda: plots.plot_history(_history()),
    "plot_history several": lambda: plots.plot_history({"a": _history(), "b": _history(2)}, title="two runs"),
    "plot_confusion_matrix": lambda: plots.plot_confusion_matrix(torch.randint(0, 20, (10, 10))),
    "plot_confusion_matrix counts": lambda: plots.plot_confusion_matrix(np.eye(3) * 5, ["a", "b", "c"],
                                                                        normalize=False),
    "show_grids": lambda: plots.show_grids({"input": RNG.random((5, 5)), "kernel": np.eye(3)},
                                           boxes={"input": (0, 0, 3, 3)}),
    "show_grids large": lambda: plots.show_grids({"map": RNG.random((20, 20))}, title="a large map"),
    "plot_layer_stack": lambda: plots.plot_layer_stack(layer_table(models.lenet5_modern(), (1, 28, 28))),
    "show_kernels grey": lambda: plots.show_kernels(torch.randn(6, 2, 3, 3), ncols=4),
    "show_kernels colour": lambda: plots.show_kernels(torch.randn(4, 3, 3, 3), title="colour filters"),
    "show_feature_maps": lambda: plots.show_feature_maps(torch.rand(6, 7, 7)),
    "show_feature_maps some": lambda: plots.show_feature_maps(torch.rand(6, 7, 7), channels=[1, 4], title="two"),
    "show_image_maps": lambda: plots.show_image_maps(torch.rand(2, 1, 8, 8), {"saliency": torch.rand(2, 8, 8),
                                                                               "signed": torch.randn(2, 8, 8)}),
    "plot_embedding": lambda: plots.plot_embedding({"PCA": RNG.normal(size=(30, 2)), "t-SNE": torch.randn(30, 2)},
                                                   RNG.integers(0, 10, 30)),
    "plot_score_curves": lambda: plots.plot_score_curves(torch.randn(5, 3), ["a", "b", "c"]),
    "plot_accuracy_vs_shift": lambda: plots.plot_accuracy_vs_shift({"mlp": [0.9, 0.6, 0.3]}, [0, 2, 4]),
    "plot_lr_range": lambda: plots.plot_lr_range(np.geomspace(1e-5, 1, 20), RNG.uniform(1, 3, 20),
                                                 np.linspace(2.3, 1.0, 20), {"pick": 1e-3}),
    "plot_lr_schedules": lambda: plots.plot_lr_schedules({"one-cycle": [0.1, 1.0, 0.5], "constant": [1.0] * 3}),
    "plot_layer_stds": lambda: plots.plot_layer_stds({"kaiming": [1.0, 0.9, 0.8], "naive": [0.1, 1e-2, 1e-3]}),
    "plot_step_losses": lambda: plots.plot_step_losses({"a": [2.0, 1.0], "b": [2.0, 1.5]}, highlight="a"),
    "plot_step_losses smoothed": lambda: plots.plot_step_losses({"a": [2.0, 1.0]}, smoothed={"a": [2.0, 1.5]}),
    "plot_timings": lambda: plots.plot_timings({"loops": 1.2, "im2col": 0.01, "PyTorch": 0.002}, title="three"),
    "show_filtered": lambda: plots.show_filtered({"original": RNG.random((9, 9)), "Sobel x": RNG.normal(size=(9, 9))},
                                                 title="two filters", signed=["Sobel x"]),
    "plot_change_under_shift": lambda: plots.plot_change_under_shift({"no pooling": RNG.random((3, 8)),
                                                                      "max 2x2": RNG.random((3, 8))},
                                                                     [1, 2, 3], title="pooled vs unpooled"),
    "show_layer_maps": lambda: plots.show_layer_maps(torch.rand(1, 8, 8), {"a": torch.rand(1, 4, 4, 4),
                                                                           "b": torch.rand(6, 2, 2)},
                                                     ["a", "b"], n=3, title="maps by layer"),
    "show_top_patches": lambda: plots.show_top_patches(torch.rand(2, 3, 1, 5, 5), torch.zeros(2, 3, dtype=torch.long),
                                                       [4, 7], title="top patches"),
    "show_projections": lambda: plots.show_projections({"crops": torch.rand(3, 1, 5, 5),
                                                        "signed": torch.randn(3, 1, 5, 5)}, title="projections"),
    "plot_layer_bars": lambda: plots.plot_layer_bars(["conv1", "pool1", "fc1"],
                                                     {"weights per layer": ([1.0, 0.0, 3.0], "weights (millions)"),
                                                      "activations per layer": ([3.0, 1.0, 0.1], "values (millions)")}),
    "plot_randomization": lambda: plots.plot_randomization(["fc2", "fc1"], {"saliency": torch.rand(3, 4),
                                                                            "grad-cam": torch.rand(3, 4)},
                                                           threshold=0.5),
}


def test_show_pixel_values_writes_every_value_and_marks_the_bright_ones():
    image = torch.tensor([[0, 127, 128], [255, 3, 200]], dtype=torch.uint8)
    fig = plots.show_pixel_values(image, threshold=128)
    try:
        texts = fig.axes[0].texts
        assert sorted(int(t.get_text()) for t in texts) == sorted(image.flatten().tolist())
        red = {int(t.get_text()) for t in texts if t.get_color() == "tab:red"}
        assert red == {128, 255, 200}
    finally:
        plt.close(fig)


def test_show_panels_lays_out_rows_and_keeps_colour():
    panels = {"rgb": np.ones((4, 6, 3)), **{f"grey {i}": np.full((4, 6), i) for i in range(4)}}
    fig = plots.show_panels(panels, ncols=3, vmin=0, vmax=3, title="five panels")
    try:
        shown = [ax for ax in fig.axes if ax.images]
        assert len(fig.axes) == 6 and len(shown) == 5, "two rows of three, the last slot empty"
        assert shown[0].images[0].get_array().ndim == 3, "a colour picture stays colour"
        assert shown[1].images[0].get_clim() == (0, 3), "grey panels share vmin and vmax"
    finally:
        plt.close(fig)

def _has_content(ax) -> bool:
    return bool(ax.lines or ax.collections or ax.images or ax.patches)


@pytest.mark.parametrize("name", FIGURES)
def test_every_figure_has_a_title_and_axis_labels(name):
    fig = FIGURES[name]()
    try:
        axes = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
        suptitle = fig.get_suptitle().strip()
        panels = [ax for ax in axes if _has_content(ax)]
        assert panels, f"{name}: an empty figure"
        assert suptitle or all(ax.get_title().strip() for ax in panels), f"{name}: no title"
        for ax in panels:
            if not ax.axison:  # a picture or a diagram: no axes to label
                continue
            assert ax.get_xlabel().strip() and ax.get_ylabel().strip(), \
                f"{name}: a panel titled {ax.get_title()!r} shows data without axis labels"
    finally:
        plt.close(fig)


def test_every_plot_function_is_tested():
    public = {n for n, f in vars(plots).items() if callable(f) and not n.startswith("_")
              and getattr(f, "__module__", "") == plots.__name__}
    tested = {key.split()[0] for key in FIGURES}
    assert public == tested, f"untested: {sorted(public - tested)}"


def test_plot_timings_draws_milliseconds_in_the_given_order():
    fig = plots.plot_timings({"loops": 1.5, "im2col": 0.004, "PyTorch": 0.002})
    try:
        ax = fig.axes[0]
        widths = [bar.get_width() for bar in ax.patches]
        assert np.allclose(widths, [1500, 4, 2])
        assert [t.get_text() for t in ax.get_yticklabels()] == ["loops", "im2col", "PyTorch"]
        assert ax.get_xscale() == "log" and ax.get_xlim()[0] <= 1.0
    finally:
        plt.close(fig)


def test_show_filtered_centres_signed_maps_on_zero():
    fig = plots.show_filtered({"grey": np.ones((4, 4)), "signed": np.array([[-2.0, 1.0], [0.5, 0.0]])},
                              ncols=3, signed=["signed"])
    try:
        images = [ax.images[0] for ax in fig.axes if ax.images]
        assert len(images) == 2 and len(fig.axes) == 3
        assert images[1].get_clim() == (-2.0, 2.0) and images[1].get_cmap().name == "RdBu_r"
        assert images[0].get_cmap().name == "gray"
    finally:
        plt.close(fig)


def test_layer_bars_share_the_layer_axis():
    fig = plots.plot_layer_bars(["conv1", "pool1", "fc1"], {"w": ([1, 0, 3], "weights"), "a": ([3, 1, 0], "values")},
                                figsize=(8, 3))
    top, bottom = fig.axes
    assert tuple(fig.get_size_inches()) == (8, 3) and len(top.patches) == len(bottom.patches) == 3
    assert [p.get_height() for p in top.patches] == [1, 0, 3] and bottom.get_xlabel() == "layer"
    assert [t.get_text() for t in bottom.get_xticklabels()] == ["conv1", "pool1", "fc1"]
    plt.close(fig)
