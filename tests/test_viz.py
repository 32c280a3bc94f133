"""Tests of course_utils.viz (lesson 08) and course_utils.imagenet (the local VGG16 loader)."""
import math
import random
from collections import OrderedDict

import numpy as np
import pytest
import torch
import torchvision
from torch import nn

from course_utils import imagenet, models, viz


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
    sizes = {n: viz.receptive_field(model, n).size for n in ["conv1_1", "conv1_2", "pool1", "conv2_2", "conv3_2"]}
    # each 3x3 conv adds 2 * jump, each 2x2 pool adds 1 * jump and doubles the jump
    assert sizes == {"conv1_1": 3, "conv1_2": 5, "pool1": 6, "conv2_2": 14, "conv3_2": 32}
    vgg16 = torchvision.models.vgg16(weights=None)
    assert viz.receptive_field(vgg16, "features.29").size == 196   # conv5_3, a classic published value
    assert viz.receptive_field(vgg16, "features.30") == viz.ReceptiveField(212, 32, -90)
    with pytest.raises(ValueError, match="whole image"):
        viz.receptive_field(model, "fc1")


def test_receptive_field_padding_same():
    model = nn.Sequential(nn.Conv2d(1, 1, 5, padding="same", dilation=2), nn.Conv2d(1, 1, 3))
    assert viz.receptive_field(model, "0") == viz.ReceptiveField(9, 1, -4)
    assert viz.receptive_field(model, "1") == viz.ReceptiveField(11, 1, -4)


@pytest.mark.parametrize("y,x", [(0, 0), (3, 5), (6, 6), (0, 6), (6, 0)])
def test_receptive_field_patch_size_and_content_at_borders(y, x):
    image = images(1, c=2)[0]
    rf = viz.ReceptiveField(size=14, jump=4, offset=-6)   # like conv2_2-ish geometry on a 7x7 map
    patch = viz.receptive_field_patch(image, rf, y, x, fill=-1.0)
    assert patch.shape == (2, 14, 14)
    top, left = rf.window(y, x)
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


# ---------------------------------------------------------------- occlusion

class RegionScore(nn.Module):
    """Class 0's score is the sum of the pixels in one known square; the others are 0."""

    def __init__(self, top, left, size):
        super().__init__()
        self.top, self.left, self.size = top, left, size
        self.weight = nn.Parameter(torch.ones(1))
        self.calls = 0

    def forward(self, x):
        self.calls += 1
        s = x[:, :, self.top:self.top + self.size, self.left:self.left + self.size].sum((1, 2, 3)) * self.weight
        return torch.stack([s] + [torch.zeros_like(s)] * 9, 1)


@pytest.mark.parametrize("region,patch,stride", [((4, 16, 5), 5, 1), ((10, 2, 4), 6, 2), ((20, 20, 6), 4, 3)])
def test_occlusion_peaks_on_the_region_that_matters(region, patch, stride):
    top, left, size = region
    model = RegionScore(top, left, size)
    image = torch.ones(1, 28, 28)
    occ = viz.occlusion(model, image, target=0, patch=patch, stride=stride, fill=0.0, score="logit", batch_size=50)
    assert occ.base == size * size
    # the best patch position covers as much of the region as any patch can
    r, c = np.unravel_index(int(occ.drops.argmax()), tuple(occ.drops.shape))
    t, l = int(occ.tops[r]), int(occ.lefts[c])
    overlap = max(0, min(t + patch, top + size) - max(t, top)) * max(0, min(l + patch, left + size) - max(l, left))
    assert occ.drops.max() == overlap == min(patch, size) ** 2
    # patches that miss the region change nothing; the pixel map is zero far away from it
    assert occ.drops.min() == 0
    assert occ.pixel_map[top:top + size, left:left + size].min() > 0
    assert occ.pixel_map[: max(0, top - patch)].abs().sum() == 0
    # batched: ceil(P / 50) forward passes plus one for the intact image, not one per position
    assert model.calls == 1 + math.ceil(occ.drops.numel() / 50)


def test_occlusion_matches_a_loop_over_positions():
    model, image = small_vgg(2), images(1)[0]
    occ = viz.occlusion(model, image, target=3, patch=7, stride=3, fill=0.5, score="prob")
    with torch.no_grad():
        base = model(image[None]).softmax(1)[0, 3]
        for i, t in enumerate(occ.tops.tolist()):
            for j, l in enumerate(occ.lefts.tolist()):
                hidden = image.clone()
                hidden[:, t:t + 7, l:l + 7] = 0.5
                drop = base - model(hidden[None]).softmax(1)[0, 3]
                assert abs(float(drop) - float(occ.drops[i, j])) < 1e-5


def test_occlusion_masks_and_errors():
    masks, tops, lefts = viz.occlusion_masks(10, 8, 4, 2)
    assert tops.tolist() == [0, 2, 4, 6] and lefts.tolist() == [0, 2, 4]
    assert masks.shape == (12, 10, 8) and (masks.sum((1, 2)) == 16).all()
    assert masks[4, 2:6, 2:6].all()          # position 4 = row 1 (top 2), column 1 (left 2) of 3 columns
    with pytest.raises(ValueError, match="patch=30"):
        viz.occlusion_masks(28, 28, 30, 1)
    with pytest.raises(ValueError, match="score must be"):
        viz.occlusion(small_vgg(), images(1)[0], 0, score="loss")


# ---------------------------------------------------------------- gradients

def test_input_gradient_equals_autograd_and_saliency_is_its_abs_max():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(),
                          nn.Linear(4 * 8 * 8, 10)).eval()
    x, target = torch.randn(4, 3, 8, 8), torch.tensor([1, 7, 7, 0])
    grad = viz.input_gradient(model, x, target)
    for i in range(4):
        xi = x[i:i + 1].clone().requires_grad_(True)
        model(xi)[0, target[i]].backward()
        torch.testing.assert_close(grad[i], xi.grad[0])
    torch.testing.assert_close(viz.saliency(model, x, target), grad.abs().amax(1))
    assert viz.saliency(model, x, 3).shape == (4, 8, 8)
    with pytest.raises(ValueError, match="targets"):
        viz.input_gradient(model, x, [1, 2])


def test_smoothgrad_without_noise_is_the_gradient():
    model, x = small_vgg(), images(3)
    torch.testing.assert_close(viz.smoothgrad(model, x, 2, samples=3, noise=0.0), viz.input_gradient(model, x, 2))
    assert viz.smoothgrad(model, x, [0, 1, 2], samples=4).shape == x.shape


def test_integrated_gradients_completeness_and_linear_case():
    model, x = small_vgg(), images(3)
    ig = viz.integrated_gradients(model, x, [0, 4, 9], steps=64)
    with torch.no_grad():
        gap = model(x) - model(torch.zeros_like(x))
    expected = gap[torch.arange(3), torch.tensor([0, 4, 9])]
    torch.testing.assert_close(ig.sum((1, 2, 3)), expected, atol=0.05 * float(expected.abs().max()) + 1e-3, rtol=0)
    linear = nn.Sequential(nn.Flatten(), nn.Linear(16, 10))
    xl = torch.randn(2, 1, 4, 4)
    ig = viz.integrated_gradients(linear, xl, 5, baseline=0.25, steps=3)
    torch.testing.assert_close(ig, (xl - 0.25) * linear[1].weight[5].view(1, 1, 4, 4).detach())


# ---------------------------------------------------------------- activation maximisation

@pytest.mark.parametrize("layer,units", [(None, [0, 3, 9]), ("conv2_1", [1, 5]), ("fc1", [2])])
def test_maximize_activation_increases_the_target(layer, units):
    model = small_vgg()
    flags = [p.requires_grad for p in model.parameters()]
    result = viz.maximize_activation(model, units, layer=layer, steps=40, lr=0.05)
    assert result.images.shape == (len(units), 1, 28, 28) and result.scores.shape == (41, len(units))
    assert torch.equal(result.steps, torch.arange(41))
    assert (result.scores[-1] > result.scores[0]).all()
    assert result.images.min() >= 0 and result.images.max() <= 1
    # measured independently of the function's own bookkeeping
    with torch.no_grad(), viz.capture(model, layer or "fc2") as acts:
        model(result.images)
    torch.testing.assert_close(viz.unit_score(acts[layer or "fc2"], torch.tensor(units)), result.scores[-1])
    assert viz.hook_count(model) == 0 and [p.requires_grad for p in model.parameters()] == flags


def test_gaussian_blur_keeps_constants_and_mass():
    x = torch.full((2, 3, 9, 9), 0.7)
    torch.testing.assert_close(viz.gaussian_blur(x, 1.0), x)
    dot = torch.zeros(1, 1, 15, 15)
    dot[0, 0, 7, 7] = 1
    blurred = viz.gaussian_blur(dot, 1.0)
    assert abs(float(blurred.sum()) - 1) < 1e-5 and blurred[0, 0, 7, 7] == blurred.max()


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
    assert viz.receptive_field(net, "features.4").size == 6


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


def test_maximize_activation_records_every_few_steps():
    model = small_vgg()
    every = viz.maximize_activation(model, [1, 2], steps=11, record_every=1, seed=3)
    sparse = viz.maximize_activation(model, [1, 2], steps=11, record_every=5, seed=3)
    assert sparse.steps.tolist() == [0, 5, 10, 11]
    torch.testing.assert_close(sparse.scores, every.scores[sparse.steps])
    torch.testing.assert_close(sparse.images, every.images)
