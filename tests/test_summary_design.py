"""course_utils.summary: VGG16 totals, receptive fields, memory estimates and the design builder."""
import math
import random

import pytest
import torch
import torchvision
from torch import nn

from course_utils import models, summary
from course_utils.summary import (PARAM_COPIES, design_report, format_bytes, largest_batch, layer_table,
                                  memory_estimate, pattern_convnet, receptive_field, receptive_fields, to_unit)


@pytest.fixture(scope="module")
def vgg16():
    with torch.device("meta"):  # shapes and counts without allocating 138M weights
        return torchvision.models.vgg16()


# ---------------------------------------------------------------- VGG16 table

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
    with pytest.raises(KeyError, match="no layer"):
        table.row("conv9")
    md, page = table.to_markdown(), table._repr_html_()
    for name in ("conv1", "pool2", "fc2"):
        assert f"| {name} |" in md and f">{name}<" in page
    assert f"{table.total_params:,}" in md and str(table).startswith("layer")


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


# ---------------------------------------------------------------- memory

def test_units():
    assert to_unit(2**30, "GiB") == 1 and to_unit(10**9, "GB") == 1
    assert math.isclose(to_unit(2**30, "GB"), 1.073741824)
    assert format_bytes(512) == "512 B" and format_bytes(3 * 2**20) == "3.0 MiB"
    with pytest.raises(ValueError, match="unit must be"):
        to_unit(1, "Mb")


def test_memory_estimate_counts_copies():
    acts, params = 1000, 50
    for optimizer, copies in PARAM_COPIES.items():
        est = memory_estimate(acts, params, batch_size=8, optimizer=optimizer)
        assert est.param_bytes == params * copies * 4
        factor = 1 if optimizer == "inference" else 2
        assert est.activation_bytes == 8 * acts * factor * 4
        assert est.total_bytes == est.param_bytes + est.activation_bytes
    assert PARAM_COPIES["sgd_momentum"] == 3 and PARAM_COPIES["adam"] == 4
    assert memory_estimate(acts, params, 2, "sgd", bytes_per_value=2).total_bytes == (2 * acts * 2 + params * 2) * 2
    with pytest.raises(ValueError, match="optimizer must be"):
        memory_estimate(acts, params, optimizer="rmsprop")


def test_largest_batch_is_the_largest_that_fits():
    rng = random.Random(1)
    for _ in range(50):
        acts, params = rng.randint(10, 10**6), rng.randint(0, 10**7)
        budget = rng.randint(1, 10**10)
        opt = rng.choice(list(PARAM_COPIES))
        b = largest_batch(acts, params, budget, opt)
        if b > 0:
            assert memory_estimate(acts, params, b, opt).total_bytes <= budget
        assert memory_estimate(acts, params, b + 1, opt).total_bytes > budget


def test_largest_batch_for_vgg16(vgg16):
    table = layer_table(vgg16, (3, 224, 224), skip_identity=True)
    budget = 16 * 2**30
    b = table.largest_batch(budget, "sgd_momentum")
    per_image = table.total_activations * 2 * 4
    assert b == (budget - table.total_params * 3 * 4) // per_image
    assert table.largest_batch(budget, "adam") < b
    assert table.largest_batch(1 * 2**30, "sgd_momentum") == 0  # 1.5 GiB of parameters alone


# ---------------------------------------------------------------- design builder

def test_pattern_convnet_seed_stacks():
    x = torch.zeros(2, 3, 32, 32)
    linear = pattern_convnet(0, 0, 0, (3, 32, 32))       # INPUT -> FC
    assert [type(m) for m in linear] == [nn.Flatten, nn.Linear]
    assert sum(p.numel() for p in linear.parameters()) == 3072 * 10 + 10
    one = pattern_convnet(1, 1, 0, (3, 32, 32), pool=False)  # INPUT -> CONV -> RELU -> FC
    assert [type(m) for m in one] == [nn.Conv2d, nn.ReLU, nn.Flatten, nn.Linear]
    two = pattern_convnet(1, 2, 1, (3, 32, 32))          # [CONV -> RELU -> POOL]*2 -> FC -> RELU -> FC
    assert sum(isinstance(m, nn.MaxPool2d) for m in two) == 2
    three = pattern_convnet(2, 3, 2, (3, 32, 32))        # [CONV->RELU->CONV->RELU->POOL]*3 -> [FC->RELU]*2 -> FC
    assert sum(isinstance(m, nn.Conv2d) for m in three) == 6 and sum(isinstance(m, nn.Linear) for m in three) == 3
    for net in (linear, one, two, three):
        assert net(x).shape == (2, 10)


def test_pattern_convnet_widths_like_vgg():
    net = pattern_convnet(1, 5, 0, (3, 224, 224), width=64)
    widths = [m.out_channels for m in net if isinstance(m, nn.Conv2d)]
    assert widths == [64, 128, 256, 512, 512]


def test_design_report_numbers():
    report = design_report(blocks=2, convs_per_block=2, width=16, fc_layers=1, batch_size=32, optimizer="adam")
    assert report.params == sum(p.numel() for p in report.model.parameters())
    assert report.final_map == (32, 7, 7)
    assert report.receptive_field == receptive_field([(3, 1), (3, 1), (2, 2), (3, 1), (3, 1), (2, 2)]) == 16
    assert report.memory.total_bytes == report.table.memory(32, "adam").total_bytes
    assert any("first FC layer" in n for n in report.notes)
    assert "parameters" in str(report)


def test_design_report_notes_odd_sizes():
    report = design_report(blocks=3, convs_per_block=1, width=8)
    assert report.final_map == (32, 3, 3)
    assert any("odd size 7" in n for n in report.notes)


def test_design_report_invalid_designs():
    with pytest.raises(ValueError, match=r"block 5's 2x2 pooling gets a 1x1 map.*28 -> 14 -> 7 -> 3 -> 1.*at most 4"):
        design_report(blocks=5, convs_per_block=2, width=8)
    with pytest.raises(ValueError, match="width must be"):
        design_report(blocks=2, convs_per_block=2, width=0)
    with pytest.raises(ValueError, match="optimizer must be"):
        design_report(blocks=2, convs_per_block=2, width=8, optimizer="lbfgs")
    assert design_report(blocks=6, convs_per_block=1, width=8, pool=False).final_map == (256, 28, 28)


def test_summary_has_no_display_dependencies():
    source = open(summary.__file__).read()
    assert "matplotlib" not in source and "ipywidgets" not in source


# ---------------------------------------------------------------- the design widget's page

def test_design_html_shows_the_numbers():
    from course_utils.widgets.vgg import INPUT_SIZES, design_explorer, design_html

    page = design_html(blocks=3, convs_per_block=2, width=32, pool=True, fc_layers=1, batch_size=64,
                       optimizer="sgd_momentum")
    report = design_report(3, 2, 32, True, 1, batch_size=64, optimizer="sgd_momentum")
    assert f"{report.params:,}" in page
    assert f"{report.receptive_field} x {report.receptive_field} pixels" in page
    assert format_bytes(report.memory.total_bytes) in page and "parameters x3" in page
    assert "odd size 7" in page and "<table>" in page
    for shape in INPUT_SIZES.values():
        assert "<table>" in design_html(4, 2, 16, True, 1, shape)
    assert design_explorer().children  # builds without a browser


def test_design_html_explains_invalid_designs():
    from course_utils.widgets.vgg import design_html

    page = design_html(blocks=6, convs_per_block=1, width=8, pool=True, fc_layers=1)
    assert "cannot be built" in page and "1x1 map" in page and "<table>" not in page


def test_receptive_field_start_follows_padding():
    from torch import nn
    from course_utils.summary import receptive_fields
    stack = nn.Sequential(nn.Conv2d(1, 1, 3, padding=1), nn.MaxPool2d(2), nn.Conv2d(1, 1, 3, padding=1))
    starts = [(s.receptive_field, s.jump, s.start) for s in receptive_fields(stack)]
    assert starts == [(3, 1, -1), (4, 2, -1), (8, 2, -3)]
    assert receptive_fields([(3, 1), (2, 2)])[-1].start == 0  # tuples carry no padding
