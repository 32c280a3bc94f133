"""course_utils.summary.layer_table on the lesson-05 networks (LeNet-5, the CNN, the MLP) and VGG16."""
import pytest
import torch
import torchvision
from torch import nn

from course_utils import models
from course_utils.summary import layer_table


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


def test_vgg16_totals():
    with torch.device("meta"):
        vgg = torchvision.models.vgg16()
    table = layer_table(vgg, (3, 224, 224))
    assert table.total_weights == 138_344_128
    assert table.total_params == 138_357_544
    first_fc = next(r for r in table.rows if r.kind == "Linear")
    assert first_fc.weights == 7 * 7 * 512 * 4096 == 102_760_448
