"""The lesson networks: output shapes, parameter counts and layer choices (the zoo: test_zoo.py)."""
import pytest
import torch
from torch import nn

from course_utils import models
from course_utils.summary import layer_table

BUILDERS = {
    "softmax": models.softmax_regression,
    "mlp": models.mlp,
    "lenet5_classic": models.lenet5_classic,
    "lenet5_modern": models.lenet5_modern,
    "fashion_cnn": models.fashion_cnn,
    "fashion_cnn_dropout": lambda: models.fashion_cnn(dropout=0.5),
    "fashion_cnn_bn": lambda: models.fashion_cnn(batchnorm=True),
}
LENET5_PARAMS = (6 * (1 * 25 + 1) + 16 * (6 * 25 + 1) + 120 * (16 * 25 + 1)  # C1, C3, C5
                 + 84 * (120 + 1) + 10 * (84 + 1))                              # F6, output


@pytest.mark.parametrize("name", BUILDERS)
@pytest.mark.parametrize("batch", [1, 5])
def test_output_shape(name, batch):
    torch.manual_seed(0)
    model = BUILDERS[name]().eval()
    out = model(torch.rand(batch, 1, 28, 28))
    assert out.shape == (batch, 10) and torch.isfinite(out).all()


@pytest.mark.parametrize("name", BUILDERS)
def test_parameter_count_equals_table(name):
    model = BUILDERS[name]()
    assert layer_table(model, (1, 28, 28)).total_params == sum(p.numel() for p in model.parameters())


def test_lenet_parameter_counts():
    assert LENET5_PARAMS == 61_706
    for build in (models.lenet5_classic, models.lenet5_modern):
        assert sum(p.numel() for p in build().parameters()) == LENET5_PARAMS


def test_classic_and_modern_lenet_layer_choices():
    classic, modern = models.lenet5_classic(), models.lenet5_modern()
    kinds = lambda m: {type(layer) for layer in m}  # noqa: E731
    assert {nn.Tanh, nn.AvgPool2d} <= kinds(classic) and not {nn.ReLU, nn.MaxPool2d} & kinds(classic)
    assert {nn.ReLU, nn.MaxPool2d} <= kinds(modern) and not {nn.Tanh, nn.AvgPool2d} & kinds(modern)
    assert classic.c1.padding == (2, 2)  # 28x28 padded to LeNet's 32x32


def test_lenet_feature_map_shapes():
    x = torch.zeros(2, 1, 28, 28)
    model = models.lenet5_modern()
    shapes = {}
    for name, layer in model.named_children():
        x = layer(x)
        shapes[name] = tuple(x.shape[1:])
    assert shapes["c1"] == (6, 28, 28) and shapes["s2"] == (6, 14, 14)
    assert shapes["c3"] == (16, 10, 10) and shapes["s4"] == (16, 5, 5) and shapes["c5"] == (120, 1, 1)


def test_fashion_cnn_options():
    plain = models.fashion_cnn()
    assert [n for n, _ in plain.named_children()] == ["conv1", "relu1", "pool1", "conv2", "relu2", "pool2",
                                                      "flatten", "fc1", "relu3", "fc2"]
    assert plain.conv1.padding == (1, 1) and plain.conv1.kernel_size == (3, 3)
    dropped = models.fashion_cnn(dropout=0.5)
    assert dropped.dropout.p == 0.5
    bn = models.fashion_cnn(batchnorm=True)
    assert isinstance(bn.bn1, nn.BatchNorm2d) and bn.conv1.bias is None and bn.conv2.bias is None


def test_dropout_only_acts_in_training_mode():
    torch.manual_seed(0)
    model = models.fashion_cnn(dropout=0.5)
    x = torch.rand(4, 1, 28, 28)
    model.eval()
    assert torch.equal(model(x), model(x))
    model.train()
    assert not torch.equal(model(x), model(x))


def test_pattern_convnet_seed_stacks():
    x = torch.zeros(2, 3, 32, 32)
    linear = models.pattern_convnet(0, 0, 0, (3, 32, 32))       # INPUT -> FC
    assert [type(m) for m in linear] == [nn.Flatten, nn.Linear]
    assert sum(p.numel() for p in linear.parameters()) == 3072 * 10 + 10
    one = models.pattern_convnet(1, 1, 0, (3, 32, 32), pool=False)  # INPUT -> CONV -> RELU -> FC
    assert [type(m) for m in one] == [nn.Conv2d, nn.ReLU, nn.Flatten, nn.Linear]
    two = models.pattern_convnet(1, 2, 1, (3, 32, 32))          # [CONV -> RELU -> POOL]*2 -> FC -> RELU -> FC
    assert sum(isinstance(m, nn.MaxPool2d) for m in two) == 2
    three = models.pattern_convnet(2, 3, 2, (3, 32, 32))        # [CONV->RELU->CONV->RELU->POOL]*3 -> [FC->RELU]*2 -> FC
    assert sum(isinstance(m, nn.Conv2d) for m in three) == 6 and sum(isinstance(m, nn.Linear) for m in three) == 3
    for net in (linear, one, two, three):
        assert net(x).shape == (2, 10)


def test_pattern_convnet_widths_like_vgg():
    net = models.pattern_convnet(1, 5, 0, (3, 224, 224), width=64)
    widths = [m.out_channels for m in net if isinstance(m, nn.Conv2d)]
    assert widths == [64, 128, 256, 512, 512]


def test_vgg_fashion_keeps_the_checkpoint_layout():
    """Trained checkpoints exist: the layer names and state_dict keys and shapes must not change."""
    shapes = {k: tuple(v.shape) for k, v in models.vgg_fashion().state_dict().items()}
    expected = {}
    c_in = 1
    for b, width in enumerate((32, 64, 128), start=1):
        for i in (1, 2):
            expected[f"conv{b}_{i}.weight"] = (width, c_in, 3, 3)  # no bias: batch norm follows
            for stat in ("weight", "bias", "running_mean", "running_var"):
                expected[f"bn{b}_{i}.{stat}"] = (width,)
            expected[f"bn{b}_{i}.num_batches_tracked"] = ()
            c_in = width
    expected.update({"fc1.weight": (256, 128 * 3 * 3), "fc1.bias": (256,), "fc2.weight": (10, 256), "fc2.bias": (10,)})
    assert list(shapes) == list(expected) and shapes == expected
    names = list(models.vgg_fashion()._modules)
    assert names[:7] == ["conv1_1", "bn1_1", "relu1_1", "conv1_2", "bn1_2", "relu1_2", "pool1"]
    assert names[-6:] == ["pool3", "flatten", "fc1", "relu_fc1", "dropout", "fc2"]


def test_vgg_block_is_the_shared_block():
    plain = models.vgg_block(2, 3, 8, convs=2, batchnorm=False, pool=False)
    assert [name for name, _ in plain] == ["conv2_1", "relu2_1", "conv2_2", "relu2_2"]
    assert plain[0][1].bias is not None and plain[2][1].in_channels == 8
    net = models.pattern_convnet(2, 2, 0, (1, 28, 28), width=8, batchnorm=True)
    assert list(net._modules)[:7] == ["conv1_1", "bn1_1", "relu1_1", "conv1_2", "bn1_2", "relu1_2", "pool1"]
    with pytest.raises(ValueError, match="width must be a whole number >= 1"):
        models.pattern_convnet(1, 1, 0, width=0)
