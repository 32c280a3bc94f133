"""The networks trained in the course, as plain ``nn.Sequential`` stacks with named layers.

The lesson networks take Fashion-MNIST batches x: (N, 1, 28, 28) in [0, 1] and return logits
(N, 10); ``pattern_convnet`` builds the lesson-07 layer pattern for any input size. ``vgg_block``
is the one "[3x3 conv -> batch norm? -> ReLU] x n -> pool" block both VGG-style builders use.
"""
from __future__ import annotations

import copy
from collections import OrderedDict

import torch
from torch import nn

NUM_CLASSES = 10


def softmax_regression(in_features: int = 28 * 28) -> nn.Sequential:
    """A linear classifier on raw pixels: flatten, then one Linear layer (lesson 01)."""
    return nn.Sequential(OrderedDict(flatten=nn.Flatten(), fc=nn.Linear(in_features, NUM_CLASSES)))


def mlp(hidden: int = 128, in_features: int = 28 * 28) -> nn.Sequential:
    """The lesson-02 network: 784 -> hidden (ReLU) -> 10."""
    return nn.Sequential(OrderedDict(
        flatten=nn.Flatten(),
        fc1=nn.Linear(in_features, hidden),
        relu=nn.ReLU(),
        fc2=nn.Linear(hidden, NUM_CLASSES),
    ))


def lenet5_classic() -> nn.Sequential:
    """LeNet-5 after LeCun et al. (1998): tanh, average pooling, 32x32 input.

    The 28x28 images are zero-padded to 32x32 by the first convolution. Simplified like
    most re-implementations: C3 connects to all six S2 maps (the paper used a sparse table),
    pooling has no trainable coefficients and the output is a Linear layer, not RBF units.
    """
    return nn.Sequential(OrderedDict(
        c1=nn.Conv2d(1, 6, 5, padding=2), tanh1=nn.Tanh(),    # 6 x 28 x 28
        s2=nn.AvgPool2d(2),                                   # 6 x 14 x 14
        c3=nn.Conv2d(6, 16, 5), tanh3=nn.Tanh(),              # 16 x 10 x 10
        s4=nn.AvgPool2d(2),                                   # 16 x 5 x 5
        c5=nn.Conv2d(16, 120, 5), tanh5=nn.Tanh(),            # 120 x 1 x 1
        flatten=nn.Flatten(),
        f6=nn.Linear(120, 84), tanh6=nn.Tanh(),
        output=nn.Linear(84, NUM_CLASSES),
    ))


def lenet5_modern() -> nn.Sequential:
    """LeNet-5's shape with today's choices: ReLU and max pooling."""
    return nn.Sequential(OrderedDict(
        c1=nn.Conv2d(1, 6, 5, padding=2), relu1=nn.ReLU(),
        s2=nn.MaxPool2d(2),
        c3=nn.Conv2d(6, 16, 5), relu3=nn.ReLU(),
        s4=nn.MaxPool2d(2),
        c5=nn.Conv2d(16, 120, 5), relu5=nn.ReLU(),
        flatten=nn.Flatten(),
        f6=nn.Linear(120, 84), relu6=nn.ReLU(),
        output=nn.Linear(84, NUM_CLASSES),
    ))


def fashion_cnn(dropout: float = 0.0, batchnorm: bool = False) -> nn.Sequential:
    """The source course's CNN: Conv 32 3x3 same -> MaxPool 2 -> Conv 64 3x3 same -> MaxPool 2
    -> Dense 128 -> Dense 10, with optional batch norm after each conv and dropout before the head.
    """
    def block(c_in: int, c_out: int) -> list[tuple[str, nn.Module]]:
        n = 1 if c_in == 1 else 2
        layers = [(f"conv{n}", nn.Conv2d(c_in, c_out, 3, padding=1, bias=not batchnorm))]
        if batchnorm:
            layers.append((f"bn{n}", nn.BatchNorm2d(c_out)))
        return layers + [(f"relu{n}", nn.ReLU()), (f"pool{n}", nn.MaxPool2d(2))]

    layers = block(1, 32) + block(32, 64) + [
        ("flatten", nn.Flatten()),
        ("fc1", nn.Linear(64 * 7 * 7, 128)), ("relu3", nn.ReLU()),
    ]
    if dropout:
        layers.append(("dropout", nn.Dropout(dropout)))
    layers.append(("fc2", nn.Linear(128, NUM_CLASSES)))
    return nn.Sequential(OrderedDict(layers))


def vgg_block(b: int, c_in: int, c_out: int, convs: int, batchnorm: bool = True,
              pool: bool = True) -> list[tuple[str, nn.Module]]:
    """Block ``b`` of a VGG-style network: [3x3 conv -> batch norm? -> ReLU] x ``convs`` -> 2x2 max pool?

    The convolutions keep the size (stride 1, padding 1); the pooling halves it (rounding down).
    A convolution followed by batch norm has no bias: the norm's shift plays that part. Layers
    are named ``conv{b}_{i}``, ``bn{b}_{i}``, ``relu{b}_{i}`` (i = 1..convs) and ``pool{b}``.
    Returns (name, layer) pairs for an ``OrderedDict``.
    """
    layers: list[tuple[str, nn.Module]] = []
    for i in range(1, convs + 1):
        layers.append((f"conv{b}_{i}", nn.Conv2d(c_in, c_out, 3, padding=1, bias=not batchnorm)))
        if batchnorm:
            layers.append((f"bn{b}_{i}", nn.BatchNorm2d(c_out)))
        layers.append((f"relu{b}_{i}", nn.ReLU()))
        c_in = c_out
    if pool:
        layers.append((f"pool{b}", nn.MaxPool2d(2)))
    return layers


def vgg_fashion(widths: tuple[int, ...] = (32, 64, 128), convs_per_block: int = 2,
                hidden: int = 256, dropout: float = 0.3) -> nn.Sequential:
    """A VGG-style network for 28x28 inputs: ``vgg_block``s of [3x3 conv -> batch norm -> ReLU] x
    ``convs_per_block`` then 2x2 max pooling (28 -> 14 -> 7 -> 3), then FC -> ReLU -> dropout -> FC.

    Layers are named ``conv{block}_{i}``, ``bn{block}_{i}``, ``relu{block}_{i}``, ``pool{block}``,
    ``fc1``, ``fc2``, so hooks and tables can refer to them.
    """
    layers: list[tuple[str, nn.Module]] = []
    c_in, size = 1, 28
    for b, width in enumerate(widths, start=1):
        layers += vgg_block(b, c_in, width, convs_per_block)
        c_in, size = width, size // 2
    layers += [("flatten", nn.Flatten()),
               ("fc1", nn.Linear(c_in * size * size, hidden)), ("relu_fc1", nn.ReLU()),
               ("dropout", nn.Dropout(dropout)),
               ("fc2", nn.Linear(hidden, NUM_CLASSES))]
    return nn.Sequential(OrderedDict(layers))


def _count(value, what: str, low: int = 0) -> int:
    if int(value) != value or value < low:
        raise ValueError(f"{what} must be a whole number >= {low}, got {value}")
    return int(value)


def pattern_convnet(n: int, m: int, k: int, input_shape: tuple[int, int, int] = (1, 28, 28), *,
                    width: int = 32, growth: int = 2, max_width: int = 512, pool: bool = True,
                    hidden: int = 128, classes: int = NUM_CLASSES, batchnorm: bool = False) -> nn.Sequential:
    """The ConvNet layer pattern INPUT -> [[CONV -> RELU]*N -> POOL?]*M -> [FC -> RELU]*K -> FC (lesson 07).

    Each of the M blocks is a ``vgg_block`` of N 3x3 convolutions (they keep the size), then 2x2
    max pooling (it halves the size) when ``pool``. Block b has min(width * growth**(b-1), max_width)
    channels (VGG: 64, 128, 256, 512, 512). Layers are named conv{b}_{i}, bn{b}_{i}, relu{b}_{i},
    pool{b}, flatten, fc{j}, relu_fc{j}, out.

    Raises ValueError with the size sequence when a pooling layer would get a map smaller than 2x2.
    """
    n, m, k = (_count(v, name) for v, name in ((n, "N (convs per block)"), (m, "M (blocks)"),
                                               (k, "K (hidden FC layers)")))
    _count(width, "width", low=1)
    c, h, w = input_shape
    sizes = [h]
    layers: list[tuple[str, nn.Module]] = []
    for b in range(1, m + 1):
        if pool and min(h, w) < 2:
            raise ValueError(f"block {b}'s 2x2 pooling gets a {h}x{w} map and cannot halve it "
                             f"(sizes {' -> '.join(map(str, sizes))}). Use at most {b - 1} pooling blocks "
                             f"for a {input_shape[1]}x{input_shape[2]} input, switch pooling off, "
                             f"or start from a larger input.")
        c_out = min(width * growth ** (b - 1), max_width)
        layers += vgg_block(b, c, c_out, n, batchnorm, pool)
        if n:
            c = c_out
        if pool:
            h, w = h // 2, w // 2
            sizes.append(h)
    layers.append(("flatten", nn.Flatten()))
    features = c * h * w
    for j in range(1, k + 1):
        layers += [(f"fc{j}", nn.Linear(features, hidden)), (f"relu_fc{j}", nn.ReLU())]
        features = hidden
    layers.append(("out", nn.Linear(features, classes)))
    return nn.Sequential(OrderedDict(layers))


def fc_to_conv(model: nn.Sequential, input_shape: tuple[int, int, int]) -> nn.Sequential:
    """The same network with its fully-connected head rewritten as convolutions (lesson 07).

    ``model`` is a chain ``body -> Flatten -> Linear/ReLU/Dropout ...`` and ``input_shape`` the
    (C, H, W) it was trained on. If the body turns that input into a C' x H' x W' map, the first
    Linear(C'*H'*W', K) becomes Conv2d(C', K, kernel (H', W')) with the same numbers (Flatten
    orders features channel, row, column, which is the order of a conv kernel), and every later
    Linear(K, K2) becomes a 1x1 Conv2d(K, K2). On the training size the result gives logits
    (N, classes, 1, 1) equal to the original's; on a larger input it slides the classifier over
    every window at once and returns a map of class scores (N, classes, H_out, W_out).

    The body is copied with its layer names; the converted layers keep the names of the Linear
    layers they replace. An adaptive pooling layer in the body (torchvision's VGG has one) would
    squeeze every input back to the training map: leave it out before converting.
    """
    names = list(model._modules)
    cut = next((i for i, n in enumerate(names) if isinstance(model[i], (nn.Flatten, nn.Linear))), None)
    if cut is None:
        raise ValueError("fc_to_conv needs a model with a Flatten or Linear layer at the top level; "
                         f"its layers are {names}")
    body = copy.deepcopy(model[:cut])
    with torch.no_grad():
        was_training = body.training
        body.eval()
        param = next(body.parameters(), None)
        probe = torch.zeros((1, *input_shape), device=param.device if param is not None else None)
        feature_shape = tuple(body(probe).shape[1:])
        body.train(was_training)
    if len(feature_shape) != 3:
        raise ValueError(f"the layers before the head give a map of shape {feature_shape}; "
                         "expected (C, H, W) from convolutions")
    c, h, w = feature_shape
    layers: list[tuple[str, nn.Module]] = list(body.named_children())
    first = True
    for name in names[cut:]:
        layer = model._modules[name]
        if isinstance(layer, nn.Flatten):
            continue
        if isinstance(layer, nn.Linear):
            if first and layer.in_features != c * h * w:
                raise ValueError(f"layer {name} expects {layer.in_features} inputs but the map before "
                                 f"the head has {c}x{h}x{w} = {c * h * w} values: is input_shape "
                                 f"{tuple(input_shape)} the size the model was built for?")
            kernel = (h, w) if first else (1, 1)
            in_ch = c if first else layer.in_features
            conv = nn.Conv2d(in_ch, layer.out_features, kernel, bias=layer.bias is not None)
            conv = conv.to(device=layer.weight.device, dtype=layer.weight.dtype)
            with torch.no_grad():
                conv.weight.copy_(layer.weight.reshape(layer.out_features, in_ch, *kernel))
                if layer.bias is not None:
                    conv.bias.copy_(layer.bias)
            layers.append((name, conv))
            first = False
        elif any(True for _ in layer.parameters()):
            raise ValueError(f"fc_to_conv converts Linear, ReLU-like and Dropout layers in the head, "
                             f"not {type(layer).__name__} ({name})")
        else:
            layers.append((name, copy.deepcopy(layer)))
    if first:
        raise ValueError("the model has no Linear layer after its Flatten: nothing to convert")
    return nn.Sequential(OrderedDict(layers)).train(model.training)
