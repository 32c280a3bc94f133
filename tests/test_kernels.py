"""course_utils.kernels: the classic kernels, filtering, and the explorer logic of lessons 03-04."""
import numpy as np
import pytest
import torch
from torch.nn import functional as F

from course_utils import data, kernels, scratch


@pytest.mark.parametrize("size", [1, 3, 5, 7])
def test_blur_kernels_average(size):
    for make in (kernels.box_blur, kernels.gaussian_blur):
        k = make(size)
        assert k.shape == (size, size) and np.isclose(k.sum(), 1.0)
        assert np.allclose(k, k.T) and np.allclose(k, k[::-1, ::-1])
    g = kernels.gaussian_blur(size)
    assert g[size // 2, size // 2] == g.max()
    assert np.isclose(kernels.sharpen(size).sum(), 1.0)


def test_classic_3x3_values():
    assert np.array_equal(kernels.sobel_x(3), [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    assert np.array_equal(kernels.sobel_y(3), kernels.sobel_x(3).T)
    assert np.array_equal(kernels.gaussian_blur(3) * 16, [[1, 2, 1], [2, 4, 2], [1, 2, 1]])
    assert np.array_equal(kernels.sobel_x(5)[2], [-6, -12, 0, 12, 6])


@pytest.mark.parametrize("name", kernels.PRESETS)
def test_presets_at_every_size(name):
    for size in (3, 5, 7):
        k = kernels.preset_kernel(name, size)
        assert k.shape == (size, size)
        if name.startswith("sobel"):
            assert np.isclose(k.sum(), 0.0)


def test_bad_kernel_requests():
    with pytest.raises(ValueError, match="odd"):
        kernels.box_blur(4)
    with pytest.raises(ValueError, match="at least 3"):
        kernels.sobel_x(1)
    with pytest.raises(ValueError, match="unknown kernel 'emboss'; choose one of identity, box blur"):
        kernels.preset_kernel("emboss")


def test_filter2d_matches_torch():
    rng = np.random.default_rng(0)
    image, kernel = rng.random((11, 9)), rng.standard_normal((3, 3))
    got = kernels.filter2d(image, kernel, stride=2, padding=1, dilation=1)
    ref = F.conv2d(torch.tensor(image)[None, None], torch.tensor(kernel)[None, None], stride=2, padding=1)
    assert np.allclose(got, ref[0, 0].numpy())
    with pytest.raises(ValueError, match="2-D"):
        kernels.filter2d(image[None], kernel)


def test_filter_same_keeps_size_and_identity_keeps_image():
    image = np.random.default_rng(1).random((10, 13))
    for size in (1, 3, 5):
        assert np.allclose(kernels.filter_same(image, kernels.identity(size)), image)
    assert kernels.same_padding(5) == 2
    with pytest.raises(ValueError, match="even"):
        kernels.same_padding(4)


def test_edges_found_where_brightness_jumps():
    image = np.zeros((8, 8))
    image[:, 4:] = 1.0                       # a vertical edge between columns 3 and 4
    mag = kernels.edge_magnitude(image)
    assert mag.shape == image.shape
    assert set(np.argmax(mag[2:-2], axis=1)) <= {3, 4}
    assert np.allclose(kernels.filter_same(image, kernels.sobel_y())[2:-2], 0)


def test_to_gray_and_shrink():
    photo = data.load_photo("cat")
    gray = kernels.to_gray(photo)
    assert gray.shape == photo.shape[:2] and 0 <= gray.min() and gray.max() <= 1
    assert np.allclose(kernels.to_gray(np.full((2, 2, 3), 255, np.uint8)), 1.0)
    small = kernels.shrink(gray, 3)
    assert small.shape == (100, 150)
    assert np.isclose(small[0, 0], gray[:3, :3].mean())
    with pytest.raises(ValueError, match=r"\(H, W, 3\)"):
        kernels.to_gray(gray)


def test_conv_view_valid_and_invalid():
    image = np.random.default_rng(2).random((9, 9))
    view = kernels.conv_view(image, "sobel x", 3, stride=2, padding=0)
    assert view.ok and view.output.shape == (4, 4)
    assert np.allclose(view.output, kernels.filter2d(image, kernels.sobel_x(), stride=2))
    assert "output 4x4" in view.message and "(9 - 3 + 2*0)/2 + 1 = 4" in view.message
    bad = kernels.conv_view(np.zeros((10, 10)), "box blur", 3, stride=2)
    assert not bad.ok and bad.message.startswith("Invalid setting") and "4.5" in bad.message
    dilated = kernels.conv_view(image, "identity", 3, dilation=2)
    assert dilated.ok and dilated.output.shape == (5, 5) and "spans 5x5" in dilated.message
    assert not kernels.conv_view(image, "sobel x", 1).ok
    padded = kernels.conv_view(image, "box blur", 3, padding=2)
    assert padded.padded.shape == (13, 13) and padded.padded[0, 0] == 0 and padded.padded[2, 2] == image[0, 0]


def test_conv_view_custom_kernel():
    image = np.random.default_rng(3).random((6, 6))
    custom = np.arange(9.0).reshape(3, 3)
    view = kernels.conv_view(image, kernels.CUSTOM, size=5, padding=1, custom=custom)
    assert view.ok and np.array_equal(view.kernel, custom)
    assert np.allclose(view.output, scratch.conv_forward_naive(image[None, None], custom[None, None], padding=1)[0][0, 0])


def test_pool_view():
    image = np.random.default_rng(4).random((8, 8))
    view = kernels.pool_view(image, "max", 2, 2)
    assert view.ok and np.allclose(view.output, scratch.max_pool_forward_naive(image[None, None], 2)[0][0, 0])
    assert "8x8 -> 4x4" in view.message and "25.0%" in view.message
    avg = kernels.pool_view(image, "average", 4, 4)
    assert np.allclose(avg.output, image.reshape(2, 4, 2, 4).mean(axis=(1, 3)))
    bad = kernels.pool_view(image, "max", 3, 2)
    assert not bad.ok and "3.5" in bad.message
    with pytest.raises(ValueError, match="unknown pooling kind 'median'; choose one of max, average"):
        kernels.pool_view(image, "median")
