"""course_utils.summary: layer tables (the lesson-05 networks, VGG16) and receptive fields."""
import random

import pytest
import torch
import torchvision
from torch import nn

from course_utils import models, summary
from course_utils.memory import format_bytes
from course_utils.summary import layer_table, receptive_field, receptive_fields


def _param_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def test_classic_lenet_table():
    table = layer_table(models.lenet5_classic(), (1, 28, 28))
    rows = {r.name: r for r in table.rows}
    assert list(rows) == ["c1", "s2", "c3", "s4", "c5", "f6", "output"]
    assert [rows[n].output_shape for n in rows] == [(6, 28, 28), (6, 14, 14), (16, 10, 10), (16, 5, 5),
                                                   (120, 1, 1), (84,), (10,)]
    # one filter: in_channels * k * k weights + 1 bias
    assert (rows["c1"].weights, rows["c1"].biases) == (6 * 1 * 5 * 5, 6)
    assert (rows["c3"].weights, rows["c3"].biases) == (16 * 6 * 5 * 5, 16)
    assert (rows["c5"].weights, rows["c5"].biases) == (120 * 16 * 5 * 5, 120)
    assert (rows["f6"].weights, rows["f6"].biases) == (120 * 84, 84)
    assert rows["s2"].params == rows["s4"].params == 0
    assert table.total_params == 61_706 == _param_count(models.lenet5_classic())
    assert rows["c1"].activations == 6 * 28 * 28
    assert table.total_activations == 28 * 28 + sum(r.activations for r in table.rows)


def test_modern_lenet_has_the_same_shapes_and_counts():
    classic = layer_table(models.lenet5_classic(), (1, 28, 28))
    modern = layer_table(models.lenet5_modern(), (1, 28, 28))
    assert [(r.output_shape, r.params) for r in classic.rows] == [(r.output_shape, r.params) for r in modern.rows]
    assert [r.kind for r in modern.rows if r.name.startswith("s")] == ["MaxPool2d", "MaxPool2d"]
    assert [r.kind for r in classic.rows if r.name.startswith("s")] == ["AvgPool2d", "AvgPool2d"]


def test_cnn_and_mlp_tables():
    cnn = layer_table(models.fashion_cnn(), (1, 28, 28))
    assert [(r.name, r.output_shape) for r in cnn.rows] == [
        ("conv1", (32, 28, 28)), ("pool1", (32, 14, 14)), ("conv2", (64, 14, 14)), ("pool2", (64, 7, 7)),
        ("fc1", (128,)), ("fc2", (10,))]
    assert cnn.total_params == 32 * 10 + 64 * (32 * 9 + 1) + 128 * (64 * 7 * 7 + 1) + 10 * 129 == 421_642
    mlp = layer_table(models.mlp(), (1, 28, 28))
    assert [r.output_shape for r in mlp.rows] == [(128,), (10,)]
    assert mlp.total_params == 128 * 785 + 10 * 129 == 101_770


def test_batchnorm_and_dropout_variants():
    plain = layer_table(models.fashion_cnn(), (1, 28, 28))
    bn = layer_table(models.fashion_cnn(batchnorm=True), (1, 28, 28))
    rows = {r.name: r for r in bn.rows}
    assert rows["bn1"].kind == "BatchNorm2d" and (rows["bn1"].weights, rows["bn1"].biases) == (32, 32)
    assert rows["conv1"].biases == 0  # the batch norm's shift replaces the conv bias
    assert bn.total_params == plain.total_params + 2 * (32 + 64) - (32 + 64)
    dropout = layer_table(models.fashion_cnn(dropout=0.5), (1, 28, 28))
    assert dropout.total_params == plain.total_params and len(dropout.rows) == len(plain.rows)


@pytest.mark.parametrize("build", [models.mlp, models.lenet5_classic, models.lenet5_modern, models.fashion_cnn,
                                   lambda: models.fashion_cnn(dropout=0.5, batchnorm=True)])
def test_table_total_equals_parameter_count_and_leaves_model_alone(build):
    model = build().train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    table = layer_table(model, (1, 28, 28))
    assert table.total_params == _param_count(model)
    assert table.total_weights + table.total_biases == table.total_params
    assert model.training
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())  # no running-stat update
    text = str(table)
    assert f"{table.total_params:,}" in text and "output shape" in text


# ---------------------------------------------------------------- VGG16 and rendering

@pytest.fixture(scope="module")
def vgg16():
    with torch.device("meta"):  # shapes and counts without allocating 138M weights
        return torchvision.models.vgg16()


def test_vgg16_totals(vgg16):
    table = layer_table(vgg16, (3, 224, 224))
    assert table.total_weights == 138_344_128
    assert table.total_params == 138_357_544
    assert table.row("classifier.0").weights == 7 * 7 * 512 * 4096 == 102_760_448
    assert table.total_activations == 15_262_696  # torchvision's identity AdaptiveAvgPool2d included


def test_vgg16_without_identity_pool_matches_cs231n_rows(vgg16):
    table = layer_table(vgg16, (3, 224, 224), skip_identity=True)
    assert "avgpool" not in [r.name for r in table.rows]
    # the CS231n rows: input, 13 convs, 5 pools, 3 FC layers
    convs = [(224, 64)] * 2 + [(112, 128)] * 2 + [(56, 256)] * 3 + [(28, 512)] * 3 + [(14, 512)] * 3
    pools = [(112, 64), (56, 128), (28, 256), (14, 512), (7, 512)]
    expected = 224 * 224 * 3 + sum(s * s * c for s, c in convs + pools) + 4096 + 4096 + 1000
    assert table.total_activations == expected == 15_237_608
    assert table.activation_bytes == expected * 4
    assert format_bytes(table.activation_bytes) == "58.1 MiB"
    assert format_bytes(table.activation_bytes, binary=False) == "61.0 MB"
    assert table.total_params == 138_357_544


def test_layer_table_rows_and_rendering():
    model = models.fashion_cnn()
    table = layer_table(model, (1, 28, 28))
    assert table.total_params == sum(p.numel() for p in model.parameters())
    assert table.row("conv1").output_shape == (32, 28, 28)
    with pytest.raises(ValueError, match="unknown layer 'conv9'; choose one of"):
        table.row("conv9")
    page = table._repr_html_()
    for name in ("conv1", "pool2", "fc2"):
        assert f">{name}<" in page
    assert f"{table.total_params:,}" in page and str(table).startswith("layer")


def test_long_tables_render_compactly(vgg16):
    """A table of more than COMPACT_ROWS layers (VGG16: 21) gets a small font and tight rows, so it fits
    a 1280x720 slide; a short one (lesson 05's CNN) keeps the plain style unless asked."""
    long = layer_table(vgg16, (3, 224, 224), skip_identity=True)
    short = layer_table(models.fashion_cnn(), (1, 28, 28))
    assert len(long.rows) > long.COMPACT_ROWS >= len(short.rows)
    assert long._repr_html_().startswith('<table style="font-size:15px">') and "padding:1px 8px" in long._repr_html_()
    assert short._repr_html_().startswith("<table>") and "padding" not in short._repr_html_()
    assert short.to_html(compact=True).startswith('<table style="font-size:15px">')
    assert long.to_html(compact=False).startswith("<table>")
    for page in (long.to_html(), long.to_html(compact=False)):   # same numbers either way
        assert f"{long.total_activations:,}" in page and ">classifier.0<" in page


def test_largest_batch_for_vgg16(vgg16):
    table = layer_table(vgg16, (3, 224, 224), skip_identity=True)
    budget = 16 * 2**30
    b = table.largest_batch(budget, "sgd_momentum")
    per_image = table.total_activations * 2 * 4
    assert b == (budget - table.total_params * 3 * 4) // per_image
    assert table.largest_batch(budget, "adam") < b
    assert table.largest_batch(1 * 2**30, "sgd_momentum") == 0  # 1.5 GiB of parameters alone


def test_summary_has_no_display_dependencies():
    source = open(summary.__file__).read()
    assert "matplotlib" not in source and "ipywidgets" not in source


# ---------------------------------------------------------------- receptive field

@pytest.mark.parametrize("layers, expected", [
    ([], 1),
    ([(3, 1)], 3),
    ([(3, 1)] * 2, 5),
    ([(3, 1)] * 3, 7),
    ([(7, 1)], 7),
    ([(3, 1), (3, 1), (2, 2), (3, 1), (3, 1)], 14),   # after the pool each 3x3 adds 2*2
    ([(3, 1, 2)] * 2, 9),                             # dilation 2: each 3x3 covers 5x5
    ([(11, 4), (3, 2), (5, 1), (3, 2), (3, 1), (3, 1), (3, 1), (3, 2)], 195),  # AlexNet to pool5
])
def test_receptive_field_known_stacks(layers, expected):
    assert receptive_field(layers) == expected


def test_receptive_field_of_vgg16_features(vgg16):
    steps = receptive_fields(vgg16.features)
    assert len(steps) == 18  # 13 convs and 5 pools
    assert steps[2].receptive_field == 6 and steps[2].jump == 2     # after pool1
    assert steps[-2].receptive_field == 196  # conv5_3
    assert steps[-1].receptive_field == 212 and steps[-1].jump == 32


def _rf_by_probe(layers, size=257):
    """Receptive field measured with autograd: which inputs change the centre output."""
    net = nn.Sequential(*[nn.Conv2d(1, 1, k, s, dilation=d) for k, s, d in layers])
    x = torch.randn(1, 1, size, size, requires_grad=True)
    out = net(x)
    out[0, 0, out.shape[2] // 2, out.shape[3] // 2].backward()
    rows = torch.nonzero(x.grad[0, 0].abs().sum(1)).flatten()
    return int(rows.max() - rows.min() + 1)


def test_receptive_field_matches_autograd_on_random_stacks():
    rng = random.Random(0)
    for _ in range(25):
        layers = [(rng.choice([1, 2, 3, 5]), rng.choice([1, 1, 2]), rng.choice([1, 1, 2]))
                  for _ in range(rng.randint(1, 4))]
        assert receptive_field(layers) == _rf_by_probe(layers), layers


def test_receptive_field_bad_input():
    with pytest.raises(ValueError, match="kernel must be a whole number"):
        receptive_field([(0, 1)])
    with pytest.raises(ValueError, match="expected \\(kernel, stride\\)"):
        receptive_field([(3,)])
    with pytest.raises(ValueError, match="square"):
        receptive_field(nn.Sequential(nn.Conv2d(1, 1, (3, 5))))


def test_receptive_field_stops_at_the_head():
    model = models.vgg_fashion()
    # three blocks of two 3x3 convs, each followed by 2x2 pooling; the FC head is not counted
    block = [(3, 1), (3, 1), (2, 2)]
    assert receptive_field(model) == receptive_field(block * 3) == 36
    assert receptive_fields(model)[-1].jump == 8


def test_receptive_field_start_follows_padding():
    stack = nn.Sequential(nn.Conv2d(1, 1, 3, padding=1), nn.MaxPool2d(2), nn.Conv2d(1, 1, 3, padding=1))
    starts = [(s.receptive_field, s.jump, s.start) for s in receptive_fields(stack)]
    assert starts == [(3, 1, -1), (4, 2, -1), (8, 2, -3)]
    assert receptive_fields([(3, 1), (2, 2)])[-1].start == 0  # tuples carry no padding
