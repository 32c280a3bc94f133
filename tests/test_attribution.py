"""Tests of course_utils.attribution (lesson 08): occlusion, gradient maps, guided backprop and
deconvnet, Grad-CAM and the randomisation sanity check, each compared with Captum, PyTorch's
attribution library, at matched settings on small random networks."""
import math
from collections import OrderedDict

import numpy as np
import pytest
import torch
from torch import nn

from course_utils import attribution, models, viz

captum_attr = pytest.importorskip("captum.attr")


def small_vgg(seed=0):
    torch.manual_seed(seed)
    return models.vgg_fashion(widths=(4, 6, 8), hidden=16).eval()


def images(n=5, c=1, size=28, seed=0):
    return torch.rand(n, c, size, size, generator=torch.Generator().manual_seed(seed))


def random_net(seed, channels=3, batch_norm=True):
    """A small random conv net for 12x12 images with ReLU modules, max pooling and batch norm
    (random running statistics, so eval mode is not the identity)."""
    torch.manual_seed(seed)
    layers = [("conv1", nn.Conv2d(channels, 5, 3, padding=1)), ("bn1", nn.BatchNorm2d(5) if batch_norm else nn.Identity()),
              ("relu1", nn.ReLU(inplace=True)), ("pool1", nn.MaxPool2d(2)),
              ("conv2", nn.Conv2d(5, 6, 3, padding=1)), ("relu2", nn.ReLU()),
              ("flatten", nn.Flatten()), ("fc1", nn.Linear(6 * 6 * 6, 12)), ("relu3", nn.ReLU()),
              ("fc2", nn.Linear(12, 4))]
    net = nn.Sequential(OrderedDict(layers))
    if batch_norm:
        net.bn1.running_mean.uniform_(-0.5, 0.5)
        net.bn1.running_var.uniform_(0.5, 2.0)
    return net.eval()


def unit_range_images(n, channels=3, seed=0):
    """Images whose values span exactly [0, 1], so a relative noise level equals an absolute one."""
    x = torch.rand(n, channels, 12, 12, generator=torch.Generator().manual_seed(seed))
    x = x.flatten(1)
    x = (x - x.min(1, keepdim=True).values) / (x.max(1, keepdim=True).values - x.min(1, keepdim=True).values)
    return x.reshape(n, channels, 12, 12)


SEEDS = range(4)


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
    occ = attribution.occlusion(model, image, target=0, patch=patch, stride=stride, fill=0.0, score="logit", batch_size=50)
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
    occ = attribution.occlusion(model, image, target=3, patch=7, stride=3, fill=0.5, score="prob")
    with torch.no_grad():
        base = model(image[None]).softmax(1)[0, 3]
        for i, t in enumerate(occ.tops.tolist()):
            for j, l in enumerate(occ.lefts.tolist()):
                hidden = image.clone()
                hidden[:, t:t + 7, l:l + 7] = 0.5
                drop = base - model(hidden[None]).softmax(1)[0, 3]
                assert abs(float(drop) - float(occ.drops[i, j])) < 1e-5


def test_occlusion_masks_and_errors():
    masks, tops, lefts = attribution.occlusion_masks(10, 8, 4, 2)
    assert tops.tolist() == [0, 2, 4, 6] and lefts.tolist() == [0, 2, 4]
    assert masks.shape == (12, 10, 8) and (masks.sum((1, 2)) == 16).all()
    assert masks[4, 2:6, 2:6].all()          # position 4 = row 1 (top 2), column 1 (left 2) of 3 columns
    with pytest.raises(ValueError, match="patch=30"):
        attribution.occlusion_masks(28, 28, 30, 1)
    with pytest.raises(ValueError, match="score must be"):
        attribution.occlusion(small_vgg(), images(1)[0], 0, score="loss")


# ---------------------------------------------------------------- gradients by hand

def test_input_gradient_equals_autograd_and_saliency_is_its_abs_max():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(),
                          nn.Linear(4 * 8 * 8, 10)).eval()
    x, target = torch.randn(4, 3, 8, 8), torch.tensor([1, 7, 7, 0])
    grad = attribution.input_gradient(model, x, target)
    for i in range(4):
        xi = x[i:i + 1].clone().requires_grad_(True)
        model(xi)[0, target[i]].backward()
        torch.testing.assert_close(grad[i], xi.grad[0])
    torch.testing.assert_close(attribution.saliency(model, x, target), grad.abs().amax(1))
    assert attribution.saliency(model, x, 3).shape == (4, 8, 8)
    with pytest.raises(ValueError, match="targets"):
        attribution.input_gradient(model, x, [1, 2])


def test_smoothgrad_without_noise_is_the_gradient():
    model, x = small_vgg(), images(3)
    torch.testing.assert_close(attribution.smoothgrad(model, x, 2, samples=3, noise=0.0), attribution.input_gradient(model, x, 2))
    assert attribution.smoothgrad(model, x, [0, 1, 2], samples=4).shape == x.shape


def test_integrated_gradients_completeness_and_linear_case():
    model, x = small_vgg(), images(3)
    ig = attribution.integrated_gradients(model, x, [0, 4, 9], steps=64)
    with torch.no_grad():
        gap = model(x) - model(torch.zeros_like(x))
    expected = gap[torch.arange(3), torch.tensor([0, 4, 9])]
    torch.testing.assert_close(ig.sum((1, 2, 3)), expected, atol=0.05 * float(expected.abs().max()) + 1e-3, rtol=0)
    linear = nn.Sequential(nn.Flatten(), nn.Linear(16, 10))
    xl = torch.randn(2, 1, 4, 4)
    ig = attribution.integrated_gradients(linear, xl, 5, baseline=0.25, steps=3)
    torch.testing.assert_close(ig, (xl - 0.25) * linear[1].weight[5].view(1, 1, 4, 4).detach())


# ---------------------------------------------------------------- against Captum, at matched settings

@pytest.mark.parametrize("seed", SEEDS)
def test_saliency_matches_captum(seed):
    net, x, target = random_net(seed), torch.randn(3, 3, 12, 12), torch.tensor([0, 3, 1])
    theirs = captum_attr.Saliency(net).attribute(x.clone().requires_grad_(), target=target)   # |grad| per channel
    torch.testing.assert_close(attribution.saliency(net, x, target), theirs.amax(1))
    signed = captum_attr.Saliency(net).attribute(x.clone().requires_grad_(), target=target, abs=False)
    torch.testing.assert_close(attribution.input_gradient(net, x, target), signed)


@pytest.mark.parametrize("seed", SEEDS)
def test_smoothgrad_matches_captum_with_the_same_noise(seed):
    net, x, target = random_net(seed), unit_range_images(2, seed=seed), torch.tensor([2, 0])
    torch.manual_seed(100 + seed)   # Captum draws from the global generator; ours from a generator seeded alike
    theirs = captum_attr.NoiseTunnel(captum_attr.Saliency(net)).attribute(
        x.clone().requires_grad_(), nt_type="smoothgrad", nt_samples=5, stdevs=0.2, target=target, abs=False)
    ours = attribution.smoothgrad(net, x, target, samples=5, noise=0.2, seed=100 + seed)
    torch.testing.assert_close(ours, theirs)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("baseline", [0.0, 0.5, "random"])
def test_integrated_gradients_match_captum_with_the_same_quadrature(seed, baseline):
    net, x, target = random_net(seed), torch.rand(3, 3, 12, 12), torch.tensor([1, 1, 3])
    base = torch.rand(3, 3, 12, 12) if baseline == "random" else torch.full_like(x, baseline)
    theirs, delta = captum_attr.IntegratedGradients(net).attribute(
        x, baselines=base, target=target, n_steps=20, method="riemann_middle", return_convergence_delta=True)
    ours = attribution.integrated_gradients(net, x, target, baseline=base, steps=20)
    torch.testing.assert_close(ours, theirs, rtol=1e-4, atol=1e-6)
    # Captum's convergence delta is sum(attributions) - score gap: our completeness check
    gap = attribution.score_gap(net, x, target, base)
    torch.testing.assert_close(ours.sum((1, 2, 3)) - gap, delta.float(), rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("relu", [True, False])
def test_grad_cam_matches_captum(seed, relu):
    net, x, target = random_net(seed), torch.randn(4, 3, 12, 12), torch.tensor([0, 1, 2, 3])
    for layer in ["relu1", "conv2", "relu2"]:
        cam = captum_attr.LayerGradCam(net, viz.get_layer(net, layer)).attribute(
            x, target=target, relu_attributions=relu)
        theirs = captum_attr.LayerAttribution.interpolate(cam, (12, 12), interpolate_mode="bilinear")[:, 0]
        torch.testing.assert_close(attribution.grad_cam(net, x, target, layer, relu=relu), theirs)


@pytest.mark.parametrize("seed", SEEDS)
def test_guided_backprop_and_deconvnet_match_captum(seed):
    net, x, target = random_net(seed), torch.randn(3, 3, 12, 12), torch.tensor([3, 2, 0])
    guided = captum_attr.GuidedBackprop(net).attribute(x.clone().requires_grad_(), target=target)
    torch.testing.assert_close(attribution.guided_backprop(net, x, target), guided)
    deconv = captum_attr.Deconvolution(net).attribute(x.clone().requires_grad_(), target=target)
    torch.testing.assert_close(attribution.deconvnet(net, x, target), deconv)
    # the rules leave the network as it was: in-place ReLUs restored, no hooks left, true gradients again
    assert net.relu1.inplace and all(not m._backward_hooks for m in net.modules())
    torch.testing.assert_close(attribution.input_gradient(net, x, target),
                               captum_attr.Saliency(net).attribute(x.clone().requires_grad_(), target=target, abs=False))


# ---------------------------------------------------------------- the backward rules, by hand

def test_relu_rules_on_one_relu():
    relu = nn.Sequential(nn.ReLU())
    z = torch.tensor([[-1.0, 2.0, 3.0, -4.0]])
    upstream = torch.tensor([[5.0, -6.0, 7.0, 8.0]])
    expected = {"gradient": [0, -6, 7, 0], "guided": [0, 0, 7, 0], "deconvnet": [5, 0, 7, 8]}
    for rule, want in expected.items():
        zz = z.clone().requires_grad_(True)
        with attribution.relu_rule(relu, rule):
            (grad,) = torch.autograd.grad((relu(zz) * upstream).sum(), zz)
        assert grad.tolist() == [want], rule
    with pytest.raises(ValueError, match="rule must be one of"):
        with attribution.relu_rule(relu, "guided backprop"):
            pass


@pytest.mark.parametrize("rule", attribution.RULES)
def test_project_unit_stays_inside_the_unit_s_receptive_field(rule):
    net, x = random_net(1, batch_norm=False), torch.rand(2, 3, 12, 12)
    proj = attribution.project_unit(net, x, "relu2", channel=4, rule=rule)
    assert proj.shape == x.shape
    rf = viz.receptive_field(net, "relu2")
    acts = viz.activations(net, x, "relu2")["relu2"][:, 4]
    for i in range(2):
        flat = int(acts[i].flatten().argmax())
        y, xx = divmod(flat, acts.shape[-1])
        top, left, bottom, right = viz.receptive_field_box(rf, y, xx, 12, 12)
        outside = proj[i].clone()
        outside[:, top:bottom, left:right] = 0
        assert outside.abs().sum() == 0 and proj[i].abs().sum() > 0
    if rule == "gradient":   # the plain rule is the gradient of the strongest unit
        xi = x[:1].clone().requires_grad_(True)
        with viz.capture(net, "relu2", detach=False) as acts:
            net(xi)
        acts["relu2"][0, 4].max().backward()
        torch.testing.assert_close(proj[0], xi.grad[0])
    with pytest.raises(ValueError, match="6 channels"):
        attribution.project_unit(net, x, "relu2", channel=6)


def test_cam_from_gradients_by_hand():
    a = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]], [[0.0, 1.0], [0.0, 1.0]]]])     # (1, 2, 2, 2)
    g = torch.tensor([[[[1.0, 1.0], [1.0, 1.0]], [[-8.0, 0.0], [0.0, 0.0]]]])    # alphas 1 and -2
    torch.testing.assert_close(attribution.cam_from_gradients(a, g, relu=False), torch.tensor([[[1.0, 0.0], [3.0, 2.0]]]))
    torch.testing.assert_close(attribution.cam_from_gradients(a, g), torch.tensor([[[1.0, 0.0], [3.0, 2.0]]]))
    torch.testing.assert_close(attribution.cam_from_gradients(-a, g, relu=False).clamp(min=0),
                               attribution.cam_from_gradients(-a, g))
    with pytest.raises(ValueError, match="feature maps"):
        attribution.grad_cam(random_net(0), torch.rand(1, 3, 12, 12), 0, "fc1")


# ---------------------------------------------------------------- the sanity check

def test_rank_correlation_matches_scipy_with_ties():
    from scipy.stats import spearmanr

    rng = np.random.default_rng(0)
    a = torch.from_numpy(rng.integers(0, 4, (3, 2, 5, 5))).float()    # many ties
    b = a + torch.from_numpy(rng.normal(0, 1.5, (3, 2, 5, 5))).float()
    ours = attribution.rank_correlation(a, b)
    for i in range(3):
        expected = spearmanr(a[i].flatten().numpy(), b[i].flatten().numpy()).statistic
        assert abs(float(ours[i]) - expected) < 1e-5
    torch.testing.assert_close(attribution.rank_correlation(a, a * 2 + 1), torch.ones(3))
    torch.testing.assert_close(attribution.rank_correlation(a, -a), -torch.ones(3))
    with pytest.raises(ValueError, match="same shape"):
        attribution.rank_correlation(a, a[:2])


def test_cascading_randomization():
    net, x, target = random_net(0), torch.rand(3, 3, 12, 12), torch.tensor([0, 1, 2])
    before = {k: v.clone() for k, v in net.state_dict().items()}
    methods = {"saliency": attribution.saliency,
               "input": lambda model, images, t: images[:, 0]}         # ignores the model: must stay at 1
    result = attribution.cascading_randomization(net, x, target, methods)
    assert result.layers == ["fc2", "fc1", "conv2", "bn1", "conv1"]
    assert result.correlations["saliency"].shape == (6, 3)
    torch.testing.assert_close(result.correlations["input"], torch.ones(6, 3))
    assert result.after("conv1")["saliency"] < 0.9 and result.after("fc2")["input"] == 1.0
    with pytest.raises(ValueError, match="was not re-initialised"):
        result.after("relu1")
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())   # the model itself is untouched
    again = attribution.cascading_randomization(net, x, target, methods)
    torch.testing.assert_close(again.correlations["saliency"], result.correlations["saliency"])
    with pytest.raises(ValueError, match="no layer called"):
        attribution.cascading_randomization(net, x, target, methods, layers=["conv9"])
