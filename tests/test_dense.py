"""Lesson 02 logic: activations and derivatives vs autograd and torch, softmax and losses vs torch,
universal approximation fits, and the autograd graph walker."""
import pytest
import torch
from torch import nn
from torch.nn import functional as F

from course_utils import activations as A
from course_utils import approximation
from course_utils.autograd_graph import backward_graph, op_name

TORCH_VERSIONS = {
    "sigmoid": lambda x, a: torch.sigmoid(x),
    "tanh": lambda x, a: torch.tanh(x),
    "relu": lambda x, a: torch.relu(x),
    "leaky_relu": lambda x, a: F.leaky_relu(x, a),
}


def _random_inputs(seed, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    shape = tuple(int(s) for s in torch.randint(1, 6, (int(torch.randint(1, 4, (1,), generator=g)),), generator=g))
    x = torch.randn(shape, generator=g, dtype=dtype) * 6
    return x[x != 0] if x.numel() > 1 else x  # ReLU's derivative at exactly 0 is a convention


@pytest.mark.parametrize("name", sorted(A.ACTIVATIONS))
@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("alpha", [0.01, 0.2, 0.7])
def test_activation_and_derivative_match_torch_and_autograd(name, seed, alpha):
    act = A.get_activation(name)
    x = _random_inputs(seed)
    torch.testing.assert_close(act(x, alpha), TORCH_VERSIONS[name](x, alpha))
    torch.testing.assert_close(act.grad(x, alpha), A.autograd_derivative(lambda t: TORCH_VERSIONS[name](t, alpha), x))
    torch.testing.assert_close(act.grad(x, alpha), A.autograd_derivative(lambda t: act(t, alpha), x))


@pytest.mark.parametrize("name", sorted(A.ACTIVATIONS))
def test_activations_are_finite_for_huge_inputs(name):
    x = torch.tensor([-1e4, -100.0, 0.0, 100.0, 1e4])
    act = A.get_activation(name)
    assert torch.isfinite(act(x)).all() and torch.isfinite(act.grad(x)).all()
    torch.testing.assert_close(act(x), TORCH_VERSIONS[name](x, 0.01))


def test_relu_derivative_at_zero_follows_pytorch():
    x = torch.zeros(3)
    assert torch.equal(A.relu_derivative(x), A.autograd_derivative(torch.relu, x))
    assert torch.equal(A.leaky_relu_derivative(x, 0.3), A.autograd_derivative(lambda t: F.leaky_relu(t, 0.3), x))


def test_activation_curve_is_the_widget_logic():
    x, y, dy = A.activation_curve("leaky_relu", alpha=0.25, lo=-2, hi=2, n=5)
    assert torch.equal(x, torch.tensor([-2.0, -1.0, 0.0, 1.0, 2.0], dtype=torch.float64))
    torch.testing.assert_close(y, torch.tensor([-0.5, -0.25, 0.0, 1.0, 2.0], dtype=torch.float64))
    torch.testing.assert_close(dy, torch.tensor([0.25, 0.25, 0.25, 1.0, 1.0], dtype=torch.float64))
    x, y, dy = A.activation_curve("sigmoid")
    assert len(x) == 401 and float(dy.max()) == pytest.approx(0.25)
    with pytest.raises(ValueError, match="unknown activation '.*'; choose one of"):
        A.activation_curve("swish")
    with pytest.raises(ValueError, match="lo < hi"):
        A.activation_curve("relu", lo=1, hi=1)


@pytest.mark.parametrize("seed", range(8))
def test_softmax_and_cross_entropy_match_torch(seed):
    g = torch.Generator().manual_seed(seed)
    n, c = int(torch.randint(1, 9, (1,), generator=g)), int(torch.randint(2, 12, (1,), generator=g))
    scale = [1.0, 10.0, 1000.0][seed % 3]
    logits = torch.randn(n, c, generator=g, dtype=torch.float64) * scale
    targets = torch.randint(0, c, (n,), generator=g)
    torch.testing.assert_close(A.softmax(logits, dim=1), torch.softmax(logits, 1))
    torch.testing.assert_close(A.softmax(logits, dim=0), torch.softmax(logits, 0))
    torch.testing.assert_close(A.log_softmax(logits, dim=1), torch.log_softmax(logits, 1))
    torch.testing.assert_close(A.cross_entropy(logits, targets), F.cross_entropy(logits, targets))
    assert torch.isfinite(A.cross_entropy(logits.float(), targets))


def test_mse_and_loss_shape_errors():
    p, t = torch.randn(4, 3), torch.randn(4, 3)
    torch.testing.assert_close(A.mse(p, t), F.mse_loss(p, t))
    with pytest.raises(ValueError, match="same shape"):
        A.mse(p, t[:, :2])
    with pytest.raises(ValueError, match=r"\(N, C\)"):
        A.cross_entropy(torch.randn(3), torch.tensor([0, 1, 2]))


# ---------------------------------------------------------------- universal approximation

def test_wider_hidden_layer_fits_better():
    fits = approximation.fits_by_width([1, 3, 12], iters=300)
    errors = [fits[w].mse for w in (1, 3, 12)]
    assert errors[0] > errors[1] > errors[2]
    assert errors[2] < 0.05 * errors[0]
    fit = fits[12]
    assert fit.x.shape == fit.target.shape == fit.prediction.shape == (256,)
    torch.testing.assert_close(fit.target, approximation.wavy(fit.x))
    with torch.no_grad():
        assert fit.mse == pytest.approx(((fit.model(fit.x[:, None])[:, 0] - fit.target) ** 2).mean().item())


def test_fit_is_repeatable_and_accepts_other_targets():
    a = approximation.fit_one_hidden_layer(4, f=torch.abs, lo=-1, hi=1, n_points=50, activation="relu", iters=100)
    b = approximation.fit_one_hidden_layer(4, f=torch.abs, lo=-1, hi=1, n_points=50, activation="relu", iters=100)
    assert a.mse == b.mse and a.x.shape == (50,)
    assert a.mse < torch.abs(a.x).var().item()  # better than the best constant


def test_one_hidden_layer_rejects_bad_arguments():
    with pytest.raises(ValueError, match="at least 1"):
        approximation.one_hidden_layer(0)
    with pytest.raises(ValueError, match="unknown activation '.*'; choose one of"):
        approximation.one_hidden_layer(3, "softplus")
    with pytest.raises(ValueError, match="lo < hi"):
        approximation.fit_one_hidden_layer(3, lo=1, hi=0)
    layer_sizes = [m.weight.shape for m in approximation.one_hidden_layer(7) if isinstance(m, nn.Linear)]
    assert layer_sizes == [(7, 1), (1, 7)]


# ---------------------------------------------------------------- autograd graph

def _two_layer(activation=None):
    fc1, fc2 = nn.Linear(2, 2), nn.Linear(2, 1, bias=False)
    x = torch.tensor([[1.0, 2.0]], requires_grad=True)
    h = fc1(x)
    y = fc2(activation(h) if activation else h)
    names = {"x": x, **{f"fc1.{k}": v for k, v in fc1.named_parameters()},
             **{f"fc2.{k}": v for k, v in fc2.named_parameters()}}
    return y, names


def test_graph_of_the_two_layer_example():
    y, names = _two_layer(torch.sin)
    graph = backward_graph(y, names)
    assert sorted(graph.leaves()) == ["AccumulateGrad (fc1.bias 2)", "AccumulateGrad (fc1.weight 2x2)",
                                      "AccumulateGrad (fc2.weight 1x2)", "AccumulateGrad (x 1x2)"]
    assert "Sin" in graph.labels and "Addmm" in graph.labels
    # every node is reached exactly once and the edges match grad_fn.next_functions
    assert len(graph.labels) == len(set(range(len(graph.labels))))
    root = graph.roots[0]
    assert graph.labels[root] == op_name(y.grad_fn)
    assert len(graph.inputs[root]) == len([f for f, _ in y.grad_fn.next_functions if f is not None])
    text = str(graph)
    assert text.splitlines()[0].startswith(graph.labels[root])
    assert text.count("AccumulateGrad") == 4 and "sine" in text


def test_graph_without_activation_has_no_sine_and_shared_nodes_are_shown_once():
    y, names = _two_layer()
    assert "Sin" not in backward_graph(y, names).labels
    fc = nn.Linear(3, 4)
    x = torch.randn(2, 3)
    h = torch.relu(fc(x))
    graph = backward_graph([h.sum(), (h * h).sum()], dict(fc.named_parameters()))
    assert len(graph.roots) == 2
    assert graph.labels.count("Relu") == 1  # one node, reached from both outputs
    assert "(shown above)" in str(graph)
    relu = graph.labels.index("Relu")
    assert sum(j == relu for _, j in graph.edges) == 3  # from the sum and twice from the product


def test_graph_needs_something_that_requires_grad():
    with pytest.raises(ValueError, match="requires_grad"):
        backward_graph(torch.ones(2) * 3)
    assert op_name(torch.ones(1, requires_grad=True).exp().grad_fn) == "Exp"
