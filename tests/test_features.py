"""course_utils.features: accuracy under shift, contrast, the explorer's logic, block-average features."""
import numpy as np
import pytest
import torch
from torch import nn

from course_utils import features


def _numpy_shift(img: np.ndarray, dx: int, dy: int) -> np.ndarray:
    """Independent reference: move (..., H, W) by dx right, dy down with zero fill, via np.roll."""
    out = np.roll(img, (dy, dx), axis=(-2, -1))
    if dy > 0:
        out[..., :dy, :] = 0
    elif dy < 0:
        out[..., dy:, :] = 0
    if dx > 0:
        out[..., :, :dx] = 0
    elif dx < 0:
        out[..., :, dx:] = 0
    return out


def _linear_model(seed=0, size=8, classes=10):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Flatten(), nn.Linear(size * size, classes)).eval()


@pytest.mark.parametrize("seed", range(4))
def test_accuracy_under_shift_matches_a_manual_loop(seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(40, 1, 8, 8, generator=g)
    model = _linear_model(seed)
    y = model(x).argmax(1)  # the model is right on every unshifted image
    y[::3] = (y[::3] + 1) % 10  # ... and wrong on a third of them
    shifts = [0, 1, 2, 5]
    got = features.accuracy_under_shift(model, x, y, shifts)
    expected = []
    for s in shifts:
        moves = [(s, 0), (-s, 0), (0, s), (0, -s)] if s else [(0, 0)]
        accs = []
        for dx, dy in moves:
            moved = torch.from_numpy(_numpy_shift(x.numpy(), dx, dy))
            with torch.no_grad():
                accs.append((model(moved).argmax(1) == y).float().mean().item())
        expected.append(np.mean(accs))
    np.testing.assert_allclose(got, expected, atol=1e-7)
    assert got.shape == (len(shifts),)
    assert got[0] == pytest.approx((y == model(x).argmax(1)).float().mean().item())


def test_a_shift_invariant_model_keeps_its_accuracy():
    g = torch.Generator().manual_seed(0)
    x = torch.zeros(30, 1, 16, 16)
    x[:, :, 5:11, 5:11] = torch.rand(30, 1, 6, 6, generator=g)  # content well inside the border
    torch.manual_seed(0)
    model = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(1, 10)).eval()
    y = torch.randint(0, 10, (30,), generator=g)
    accs = features.accuracy_under_shift(model, x, y, shifts=range(5))
    assert np.allclose(accs, accs[0])


def test_one_direction_only():
    x = torch.rand(10, 1, 8, 8)
    model = _linear_model()
    y = model(x).argmax(1)
    right_only = features.accuracy_under_shift(model, x, y, [3], directions=[(1, 0)])[0]
    moved = torch.from_numpy(_numpy_shift(x.numpy(), 3, 0))
    assert right_only == pytest.approx((model(moved).argmax(1) == y).float().mean().item())


def test_accuracy_under_shift_rejects_bad_input():
    model = _linear_model()
    with pytest.raises(ValueError, match="N, C, H, W"):
        features.accuracy_under_shift(model, torch.rand(5, 8, 8), torch.zeros(5, dtype=torch.long))
    with pytest.raises(ValueError, match="5 images but y has 4"):
        features.accuracy_under_shift(model, torch.rand(5, 1, 8, 8), torch.zeros(4, dtype=torch.long))
    with pytest.raises(ValueError, match="directions"):
        features.accuracy_under_shift(model, torch.rand(5, 1, 8, 8), torch.zeros(5, dtype=torch.long),
                                      directions=[])


def test_adjust_contrast():
    x = torch.rand(3, 1, 5, 5)
    assert torch.equal(features.adjust_contrast(x, 1.0), x)
    assert torch.allclose(features.adjust_contrast(x, 0.0), torch.full_like(x, 0.5))
    strong = features.adjust_contrast(x, 3.0)
    assert strong.min() >= 0 and strong.max() <= 1
    inside = (x - 0.5).abs() < 1 / 6  # not clipped at contrast 3
    assert torch.allclose((strong - 0.5)[inside], 3 * (x - 0.5)[inside], atol=1e-6)
    with pytest.raises(ValueError, match="contrast"):
        features.adjust_contrast(x, -1)


@pytest.mark.parametrize("dx, dy, contrast", [(0, 0, 1.0), (2, -3, 1.0), (-1, 4, 0.4), (5, 5, 2.0)])
def test_shifted_view_is_what_the_model_sees(dx, dy, contrast):
    g = torch.Generator().manual_seed(dx * 10 + dy)
    image = torch.rand(1, 8, 8, generator=g)
    model = _linear_model()
    view, probs = features.shifted_view(model, image, dx, dy, contrast)
    expected_view = np.clip(0.5 + contrast * (_numpy_shift(image.numpy(), dx, dy) - 0.5), 0, 1)
    np.testing.assert_allclose(view.numpy(), expected_view, atol=1e-6)
    assert probs.shape == (10,) and probs.sum().item() == pytest.approx(1.0, abs=1e-5)
    with torch.no_grad():
        np.testing.assert_allclose(probs.numpy(), model(view[None]).softmax(1)[0].numpy(), atol=1e-6)
    with pytest.raises(ValueError, match="C, H, W"):
        features.shifted_view(model, image[0])


@pytest.mark.parametrize("block, size, channels", [(1, 28, 1), (2, 28, 1), (4, 28, 1), (7, 28, 1),
                                                   (14, 28, 1), (28, 28, 1), (3, 12, 3)])
def test_block_classifier_averages_blocks(block, size, channels):
    model = features.block_classifier(block, size, channels)
    x = torch.rand(4, channels, size, size)
    pooled = model.average(x).flatten(1)
    k = size // block
    manual = x.numpy().reshape(4, channels, k, block, k, block).mean(axis=(3, 5)).reshape(4, -1)
    np.testing.assert_allclose(pooled.detach().numpy(), manual, atol=1e-6)
    assert model.fc.in_features == channels * k * k
    assert model(x).shape == (4, 10)


def test_block_classifier_names_valid_sizes():
    with pytest.raises(ValueError, match=r"block size 5 does not tile a 28x28.*\[1, 2, 4, 7, 14, 28\]"):
        features.block_classifier(5)
    with pytest.raises(ValueError):
        features.block_classifier(0)


def test_block_size_experiment_runs_and_reports_each_block(capsys):
    g = torch.Generator().manual_seed(0)
    y = torch.randint(0, 2, (200,), generator=g)
    sign = (2 * y - 1).float().view(-1, 1, 1)
    x = 0.25 + torch.rand(200, 1, 8, 8, generator=g) * 0.5
    x[:, 0, :4] += 0.2 * sign  # class 1: top half brighter, bottom half darker; class 0: the opposite
    x[:, 0, 4:] -= 0.2 * sign  # so the mean brightness of the whole image says nothing
    results = features.block_size_experiment(x[:150], y[:150], x[150:], y[150:], blocks=(1, 4, 8),
                                             shift_px=1, progress=True, epochs=20, batch_size=50, lr=5e-2)
    assert [r.block for r in results] == [1, 4, 8]
    assert [r.features for r in results] == [64, 4, 1]
    for r in results:
        assert 0 <= r.val_acc <= 1 and 0 <= r.shifted_acc <= 1
    assert results[1].val_acc > 0.9  # 2x2 blocks of 4x4 pixels see the two halves directly
    assert results[2].val_acc < 0.8  # one mean brightness cannot tell top from bottom
    shown = capsys.readouterr().err
    assert "block sizes" in shown and "3/3" in shown, "one progress bar over the block sizes"
    assert "batch" not in shown, "no bar per trained model (a slide shows each bar as a line)"


def test_edge_maps_are_the_relu_of_the_four_edge_filters():
    from course_utils import scratch
    images = torch.rand(3, 1, 9, 9, dtype=torch.float64)
    ours = features.edge_maps(images)
    reference = np.maximum(scratch.conv_forward_naive(images.numpy(), features.EDGE_BANK[:, None], padding=1)[0], 0)
    assert ours.shape == (3, 4, 9, 9) and np.allclose(ours.numpy(), reference)
    with pytest.raises(ValueError, match="grey images"):
        features.edge_maps(torch.rand(3, 9, 9))


def test_change_under_shift_is_the_mean_relative_change_over_right_and_down():
    torch.manual_seed(0)
    x = torch.rand(5, 1, 8, 8)
    poolings = {"none": lambda a: a, "max 2": lambda a: torch.nn.functional.max_pool2d(a, 2)}
    changes = features.change_under_shift(lambda t: t * 2, x, poolings, [0, 1, 2])
    assert changes["none"].shape == (3, 5) and np.all(changes["none"][0] == 0)
    for row, s in ((1, 1), (2, 2)):
        for name, pool in poolings.items():
            a = pool(x * 2).flatten(1)
            expect = sum(((pool(features.shift(x, dx, dy) * 2).flatten(1) - a).norm(dim=1) / a.norm(dim=1)).numpy()
                         for dx, dy in ((s, 0), (0, s))) / 2
            assert np.allclose(changes[name][row], expect)
    constant = features.change_under_shift(lambda t: torch.ones_like(t), x, poolings, [3])
    assert np.allclose(constant["none"], 0)          # features that ignore the image never change
