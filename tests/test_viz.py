"""Tests of course_utils.viz (lesson 08: hooks, receptive fields, top-k, embeddings, the explorers) and
course_utils.imagenet (the local VGG16 loader). Attribution maps: test_attribution.py; activation
maximisation: test_maximize.py."""
import math
import random
from collections import OrderedDict

import numpy as np
import pytest
import torch
import torchvision
from torch import nn

from course_utils import imagenet, models, summary, viz


def small_vgg(seed=0):
    torch.manual_seed(seed)
    return models.vgg_fashion(widths=(4, 6, 8), hidden=16).eval()


def images(n=5, c=1, size=28, seed=0):
    return torch.rand(n, c, size, size, generator=torch.Generator().manual_seed(seed))


def run_until(model: nn.Sequential, x, layer):
    """Reference: apply the Sequential's children one by one up to ``layer``."""
    for name, module in model.named_children():
        x = module(x)
        if name == layer:
            return x
    raise KeyError(layer)


# ---------------------------------------------------------------- capture / activations

@pytest.mark.parametrize("layer", ["conv1_1", "relu1_2", "pool1", "conv2_2", "pool3", "fc1", "fc2"])
def test_capture_matches_manual_forward_and_removes_hooks(layer):
    model, x = small_vgg(), images()
    with torch.no_grad(), viz.capture(model, [layer, "conv1_1"]) as acts:
        model(x)
    expected = run_until(model, x, layer)
    assert acts[layer].shape == expected.shape
    torch.testing.assert_close(acts[layer], expected)
    assert viz.hook_count(model) == 0


def test_capture_shapes_of_every_vgg_layer():
    model, x = small_vgg(), images(3)
    with torch.no_grad(), viz.capture(model, ["conv1_1", "pool1", "conv2_1", "pool2", "conv3_2", "pool3", "fc1"]) as a:
        model(x)
    shapes = {k: tuple(v.shape) for k, v in a.items()}
    assert shapes == {"conv1_1": (3, 4, 28, 28), "pool1": (3, 4, 14, 14), "conv2_1": (3, 6, 14, 14),
                      "pool2": (3, 6, 7, 7), "conv3_2": (3, 8, 7, 7), "pool3": (3, 8, 3, 3), "fc1": (3, 16)}


def test_capture_removes_hooks_when_forward_raises():
    model = small_vgg()
    with pytest.raises(RuntimeError):
        with viz.capture(model, ["conv1_1", "conv2_1", "fc1"]):
            assert viz.hook_count(model) == 3
            model(torch.rand(2, 3, 28, 28))  # three channels: the first conv raises
    assert viz.hook_count(model) == 0


def test_capture_unknown_layer_is_a_clear_error_and_registers_nothing():
    model = small_vgg()
    with pytest.raises(ValueError, match="no layer called 'conv9'.*conv1_1"):
        with viz.capture(model, ["conv1_1", "conv9"]):
            pass
    assert viz.hook_count(model) == 0


def test_capture_detach_flag():
    model, x = small_vgg(), images(2)
    with viz.capture(model, "conv2_1") as kept:
        model(x)
    with viz.capture(model, "conv2_1", detach=False) as attached:
        model(x)
    assert kept["conv2_1"].grad_fn is None and attached["conv2_1"].grad_fn is not None


def test_activations_in_batches_equal_one_pass():
    model, x = small_vgg(), images(7)
    whole = viz.activations(model, x, ["conv2_2", "fc1"], batch_size=100)
    parts = viz.activations(model, x, ["conv2_2", "fc1"], batch_size=3)
    for k in whole:
        torch.testing.assert_close(whole[k], parts[k])
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        viz.activations(model, x[0], "fc1")


def test_activations_restore_training_mode():
    model = small_vgg().train()
    viz.activations(model, images(2), "conv1_1")
    assert model.training


# ---------------------------------------------------------------- receptive fields

def random_stack(rng):
    """A random conv/pool stack; the pools are average pools so that every input pixel
    in a window gets a nonzero gradient (same geometry as max pooling)."""
    layers = []
    c = 1
    for i in range(rng.randint(1, 5)):
        k = rng.choice([1, 2, 3, 5])
        s = rng.choice([1, 1, 2])
        d = rng.choice([1, 1, 2])
        p = rng.randint(0, (d * (k - 1)) // 2)
        if rng.random() < 0.3:
            layers.append((f"pool{i}", nn.AvgPool2d(k, s, min(p, k // 2))))
        else:
            conv = nn.Conv2d(c, 2, k, s, p, dilation=d)
            nn.init.constant_(conv.weight, 1.0)
            layers.append((f"conv{i}", conv))
            layers.append((f"relu{i}", nn.Identity()))
            c = 2
    return nn.Sequential(OrderedDict(layers))


def gradient_support(model, layer, y, x, size):
    """Brute force: which input pixels does unit (y, x) of ``layer`` depend on?"""
    inp = torch.ones(1, 1, size, size, requires_grad=True)
    out = run_until(model, inp, layer)
    out[0, 0, y, x].backward()
    rows = torch.nonzero(inp.grad[0, 0].abs().sum(1) > 0).flatten()
    cols = torch.nonzero(inp.grad[0, 0].abs().sum(0) > 0).flatten()
    return int(rows.min()), int(cols.min()), int(rows.max()) + 1, int(cols.max()) + 1


@pytest.mark.parametrize("seed", range(25))
def test_receptive_field_matches_gradient_support(seed):
    rng = random.Random(seed)
    model = random_stack(rng)
    size = 40
    last = list(model._modules)[-1]
    with torch.no_grad():
        out = run_until(model, torch.zeros(1, 1, size, size), last)
    h, w = out.shape[-2:]
    if h == 0 or w == 0:
        pytest.skip("stack shrinks the input away")
    rf = viz.receptive_field(model, last)
    units = {(h // 2, w // 3), (h // 2, w // 2)}
    if all(getattr(m, "dilation", (1,))[0] == 1 for m in model):
        # at the borders a dilated window may begin on a hole, so there its gradient support
        # is narrower than its extent; without dilation the two agree everywhere
        units |= {(0, 0), (h - 1, w - 1), (0, w - 1)}
    for y, x in units:
        assert gradient_support(model, last, y, x, size) == viz.receptive_field_box(rf, y, x, size, size)


def test_receptive_field_of_the_course_vgg_and_torchvision_vgg16():
    model = small_vgg()
    sizes = {n: viz.receptive_field(model, n).receptive_field for n in ["conv1_1", "conv1_2", "pool1", "conv2_2", "conv3_2"]}
    # each 3x3 conv adds 2 * jump, each 2x2 pool adds 1 * jump and doubles the jump
    assert sizes == {"conv1_1": 3, "conv1_2": 5, "pool1": 6, "conv2_2": 14, "conv3_2": 32}
    vgg16 = torchvision.models.vgg16(weights=None)
    assert viz.receptive_field(vgg16, "features.29").receptive_field == 196   # conv5_3, a classic published value
    assert viz.receptive_field(vgg16, "features.30") == summary.RFStep("features.30", 2, 2, 1, 212, 32, -90)
    # a ReLU has the field of the conv before it; a layer before any conv sees one pixel
    assert viz.receptive_field(vgg16, "features.1") == viz.receptive_field(vgg16, "features.0")
    assert viz.receptive_field(nn.Sequential(nn.ReLU(), nn.Conv2d(1, 1, 3)), "0").receptive_field == 1
    with pytest.raises(ValueError, match="whole image"):
        viz.receptive_field(model, "fc1")


def test_receptive_field_padding_same():
    model = nn.Sequential(nn.Conv2d(1, 1, 5, padding="same", dilation=2), nn.Conv2d(1, 1, 3))
    assert viz.receptive_field(model, "0") == summary.RFStep("0", 5, 1, 2, 9, 1, -4)
    assert viz.receptive_field(model, "1") == summary.RFStep("1", 3, 1, 1, 11, 1, -4)


def test_receptive_field_is_summary_s_entry_for_every_geometry_layer():
    model = small_vgg()
    for step in summary.receptive_fields(model):
        assert viz.receptive_field(model, step.name) == step


@pytest.mark.parametrize("y,x", [(0, 0), (3, 5), (6, 6), (0, 6), (6, 0)])
def test_receptive_field_patch_size_and_content_at_borders(y, x):
    image = images(1, c=2)[0]
    rf = summary.RFStep("conv", 3, 1, 1, receptive_field=14, jump=4, start=-6)   # conv2_2-like, on a 7x7 map
    patch = viz.receptive_field_patch(image, rf, y, x, fill=-1.0)
    assert patch.shape == (2, 14, 14)
    top, left = rf.start + y * rf.jump, rf.start + x * rf.jump
    t, l, b, r = viz.receptive_field_box(rf, y, x, 28, 28)
    inside = patch[:, t - top:b - top, l - left:r - left]
    torch.testing.assert_close(inside, image[:, t:b, l:r])
    assert (patch == -1).sum() == 2 * (14 * 14 - (b - t) * (r - l))


def test_top_k_patches_have_the_receptive_field_size():
    model, x = small_vgg(), images(12)
    top = viz.top_k_activations(model, x, "conv2_1", k=4)
    patches = viz.top_k_patches(x, top, viz.receptive_field(model, "conv2_1"), channels=[0, 2])
    assert patches.shape == (2, 4, 1, 10, 10)


# ---------------------------------------------------------------- top-k

@pytest.mark.parametrize("layer", ["conv1_2", "conv3_1", "fc1"])
def test_top_k_matches_brute_force(layer):
    model, x = small_vgg(1), images(30, seed=3)
    acts = viz.activations(model, x, layer)[layer]
    top = viz.top_k_activations(model, x, layer, k=5, batch_size=7)
    per_image = acts.flatten(2).amax(2) if acts.dim() == 4 else acts          # (N, C)
    values, idx = per_image.topk(5, dim=0)
    torch.testing.assert_close(top.values, values.T)
    assert torch.equal(top.images, idx.T)
    if acts.dim() == 4:  # the recorded position holds the recorded value
        got = acts[top.images, torch.arange(acts.shape[1])[:, None], top.ys, top.xs]
        torch.testing.assert_close(got, top.values)


def test_top_k_by_layer_and_bad_k():
    model, x = small_vgg(), images(6)
    many = viz.top_k_by_layer(model, x, ["conv1_1", "fc1"], k=2)
    one = viz.top_k_activations(model, x, "fc1", k=2)
    assert torch.equal(many["fc1"].images, one.images)
    with pytest.raises(ValueError, match="k=7"):
        viz.top_k_activations(model, x, "fc1", k=7)


def test_class_purity():
    top = viz.TopK("l", torch.zeros(2, 4), torch.tensor([[0, 1, 2, 3], [4, 5, 6, 7]]),
                   torch.zeros(2, 4, dtype=torch.long), torch.zeros(2, 4, dtype=torch.long))
    labels = torch.tensor([3, 3, 3, 1, 0, 1, 2, 5])
    torch.testing.assert_close(viz.class_purity(top, labels), torch.tensor([0.75, 0.25]))


# ---------------------------------------------------------------- embeddings

def test_pca_matches_sklearn():
    from sklearn.decomposition import PCA

    feats = torch.randn(50, 6) @ torch.randn(6, 6)
    coords, explained = viz.pca_2d(feats)
    ref = PCA(2).fit(feats.numpy())
    np.testing.assert_allclose(np.abs(coords.numpy()), np.abs(ref.transform(feats.numpy())), atol=1e-4)
    np.testing.assert_allclose(explained.numpy(), ref.explained_variance_ratio_, atol=1e-5)


def test_tsne_and_embed_shapes():
    model, x = small_vgg(), images(40)
    feats = viz.embed(model, x, "relu_fc1")
    assert feats.shape == (40, 16)
    assert viz.tsne_2d(feats, iterations=250).shape == (40, 2)


def test_centroid_distances():
    feats = torch.tensor([[0.0, 0], [0, 2], [3, 0], [3, 4]])
    d = viz.centroid_distances(feats, torch.tensor([0, 0, 1, 1]), classes=2)
    torch.testing.assert_close(d, torch.tensor([[0.0, math.hypot(3, 1)], [math.hypot(3, 1), 0]]))


# ---------------------------------------------------------------- ImageNet VGG16 loading

@pytest.fixture(scope="module")
def vgg16_file(tmp_path_factory):
    """A randomly initialised torchvision vgg16 saved as a state_dict (about 528 MB)."""
    torch.manual_seed(123)
    state = torchvision.models.vgg16(weights=None).state_dict()
    path = tmp_path_factory.mktemp("weights") / "my-vgg16.pth"
    torch.save(state, path)
    yield path, state["features.0.weight"].clone(), state["classifier.6.bias"].clone()
    path.unlink()


@pytest.fixture
def no_default_weights(monkeypatch, tmp_path):
    monkeypatch.delenv(imagenet.WEIGHTS_ENV, raising=False)
    monkeypatch.setattr(imagenet.config, "CACHE_DIR", tmp_path / "cache")
    monkeypatch.setattr(imagenet.torch.hub, "get_dir", lambda: str(tmp_path / "hub"))


def test_vgg16_loads_from_the_environment_variable(vgg16_file, monkeypatch, no_default_weights):
    path, conv1, bias = vgg16_file
    monkeypatch.setenv(imagenet.WEIGHTS_ENV, str(path))
    assert imagenet.find_weights() == path
    net = imagenet.load_vgg16()
    assert net.pretrained and net.source == str(path) and not net.training
    torch.testing.assert_close(net.features[0].weight, conv1)
    torch.testing.assert_close(net.classifier[6].bias, bias)
    x = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        ref = torchvision.models.vgg16(weights=None)
        ref.load_state_dict(torch.load(path, weights_only=True))
        expected = ref.eval()((x - net.mean) / net.std)
        torch.testing.assert_close(net(x), expected)
    # the lesson's tools work on it with torchvision's layer names
    assert viz.receptive_field(net, "features.4").receptive_field == 6


def test_vgg16_found_in_the_default_place(vgg16_file, no_default_weights):
    path, conv1, _ = vgg16_file
    target = imagenet.default_weights_path()
    target.parent.mkdir(parents=True)
    target.symlink_to(path)
    net = imagenet.load_vgg16()
    assert net.pretrained and net.source == str(target)
    torch.testing.assert_close(net.features[0].weight, conv1)


def test_vgg16_without_weights_is_random_and_says_so(no_default_weights):
    assert imagenet.find_weights() is None
    net = imagenet.load_vgg16()
    assert not net.pretrained and "random" in net.source
    with pytest.raises(imagenet.WeightsError, match="No VGG16 weights found.*COURSE_VGG16_WEIGHTS"):
        imagenet.load_vgg16(allow_random=False)


def test_vgg16_clear_messages_for_missing_or_wrong_files(tmp_path, monkeypatch, no_default_weights):
    with pytest.raises(imagenet.WeightsError, match="No weights file at .*nothing.pth.*COURSE_VGG16_WEIGHTS"):
        imagenet.load_vgg16(tmp_path / "nothing.pth")
    monkeypatch.setenv(imagenet.WEIGHTS_ENV, str(tmp_path / "typo.pth"))
    with pytest.raises(imagenet.WeightsError, match="is set to .*typo.pth.*no file there"):
        imagenet.load_vgg16()
    monkeypatch.delenv(imagenet.WEIGHTS_ENV)

    garbage = tmp_path / "garbage.pth"
    garbage.write_bytes(b"this is not a checkpoint" * 10)
    with pytest.raises(imagenet.WeightsError, match="could not be read as PyTorch weights"):
        imagenet.load_vgg16(garbage)

    pickled = tmp_path / "model.pth"
    torch.save(nn.Linear(2, 2), pickled)
    with pytest.raises(imagenet.WeightsError, match="state_dict"):
        imagenet.load_vgg16(pickled)

    wrong_keys = tmp_path / "wrong-keys.pth"
    torch.save({"conv.weight": torch.zeros(1)}, wrong_keys)
    with pytest.raises(imagenet.WeightsError, match="32 missing keys.*1 unexpected keys"):
        imagenet.load_vgg16(wrong_keys)

    wrong_shapes = tmp_path / "wrong-shapes.pth"
    keys = torchvision.models.vgg16(weights=None).state_dict().keys()
    torch.save({k: torch.zeros(1) for k in keys}, wrong_shapes)
    with pytest.raises(imagenet.WeightsError, match=r"32 tensors of the wrong shape \(e.g. features.0.weight"):
        imagenet.load_vgg16(wrong_shapes)


def test_preprocess_and_top_classes():
    photo = (np.random.default_rng(0).random((60, 90, 3)) * 255).astype(np.uint8)
    x = imagenet.preprocess(photo, size=32)
    assert x.shape == (1, 3, 32, 32) and 0 <= x.min() and x.max() <= 1
    with pytest.raises(ValueError, match="photo must be"):
        imagenet.preprocess(photo[..., 0])
    logits = torch.zeros(1000)
    logits[281] = 5.0
    top = imagenet.top_classes(logits, k=3)
    assert [name for name, _ in top][0] == "tabby" and len(top) == 3
    assert abs(top[0][1] - math.exp(5) / (math.exp(5) + 999)) < 1e-6 and top[1][1] == top[2][1]


# ---------------------------------------------------------------- the explorers' logic and the widgets

def test_feature_map_view():
    model, x = small_vgg(), images(2)
    view = viz.feature_map_view(model, x[1], "conv2_2", 3)
    acts = viz.activations(model, x[1:], "conv2_2")["conv2_2"][0]
    torch.testing.assert_close(view.maps, acts)
    assert view.fmap[view.peak] == acts[3].max()
    assert view.box == viz.receptive_field_box(viz.receptive_field(model, "conv2_2"), *view.peak, 28, 28)
    assert abs(float(view.probs.sum()) - 1) < 1e-5
    with pytest.raises(ValueError, match="6 channels"):
        viz.feature_map_view(model, x[0], "conv2_2", 6)
    with pytest.raises(ValueError, match="not feature maps"):
        viz.feature_map_view(model, x[0], "fc1", 0)


def test_widgets_build_and_react_without_a_browser(monkeypatch):
    import matplotlib
    matplotlib.use("Agg")
    from course_utils.widgets import viz as widgets

    monkeypatch.setattr("matplotlib.pyplot.show", lambda *a, **k: None)
    model, x, y = small_vgg(), images(3), torch.tensor([0, 4, 9])
    explorer = widgets.feature_map_explorer(model, x, y, ["conv1_1", "conv3_2"])
    item, layer, channel = explorer.children[0].children
    layer.value = "conv3_2"
    assert channel.max == 7 and "conv3_2 has 8 maps of 7x7" in explorer.children[1].value
    occl = widgets.occlusion_explorer(model, x, y)
    occl.children[0].children[1].value = 10          # patch 10 with stride 2 on 28 px: 10 x 10 positions
    assert "100 patch positions" in occl.children[2].value


def test_lesson_08_figures_have_titles_and_labels():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from course_utils import attribution, plots

    model, x = small_vgg(), images(6)
    acts = viz.activations(model, x[:1], ["relu1_1", "relu2_1"])
    fig = plots.show_layer_maps(x[0], acts, ["relu1_1", "relu2_1"], n=3, title="maps")
    assert fig._suptitle.get_text() == "maps" and len(fig.axes) == 2 * 4
    top = viz.top_k_activations(model, x, "relu2_1", k=3)
    channels = viz.spread_channels(top, n=2)
    assert len(channels) == 2 and all(top.values[c, 0] > 0 for c in channels)
    patches = viz.top_k_patches(x, top, viz.receptive_field(model, "relu2_1"), channels)
    fig = plots.show_top_patches(patches, torch.zeros(2, 3, dtype=torch.long), channels, title="patches")
    assert fig._suptitle.get_text() == "patches" and len(fig.axes) == 6
    fig = plots.show_projections({"crops": patches[0], "signed": patches[0] - 0.5}, title="projections")
    assert fig._suptitle.get_text() == "projections" and len(fig.axes) == 6
    result = attribution.Randomization(["fc2", "fc1"], {"saliency": torch.rand(3, 4)})
    ax = plots.plot_randomization(result.layers, result.correlations, threshold=0.5).axes[0]
    assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["trained", "+fc2", "+fc1"]
    small = plots.plot_randomization(result.layers, result.correlations, figsize=(10, 3.4))   # sized for a slide
    assert tuple(small.get_size_inches()) == (10, 3.4)
    plt.close("all")


def test_flatness_of_difference_and_brightness_filters():
    sobel = torch.tensor([[-1.0, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    weights = torch.stack([sobel, torch.ones(3, 3), sobel + 0.5])[:, None]   # (3, 1, 3, 3)
    torch.testing.assert_close(viz.flatness(weights), torch.tensor([0.0, 1.0, 4.5 / 9.5]))
