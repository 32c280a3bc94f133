"""models.fc_to_conv: the converted network gives the same scores, and slides over larger inputs."""
import pytest
import torch
import torchvision
from torch import nn

from course_utils import models


def _randomise_batchnorm(model):
    """Give batch-norm layers non-trivial running statistics, as after training."""
    gen = torch.Generator().manual_seed(0)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.copy_(torch.rand(m.num_features, generator=gen) - 0.5)
            m.running_var.copy_(torch.rand(m.num_features, generator=gen) + 0.5)
    return model


@pytest.mark.parametrize("build", [models.vgg_fashion, models.fashion_cnn, models.lenet5_modern,
                                   lambda: models.vgg_fashion(widths=(8, 16), hidden=32)])
def test_same_scores_on_training_size(build):
    torch.manual_seed(0)
    model = _randomise_batchnorm(build()).eval()
    conv = models.fc_to_conv(model, (1, 28, 28)).eval()
    assert not any(isinstance(m, nn.Linear) for m in conv.modules())
    x = torch.rand(32, 1, 28, 28)
    with torch.no_grad():
        scores = conv(x)
        assert scores.shape == (32, 10, 1, 1)
        torch.testing.assert_close(scores.flatten(1), model(x), atol=1e-5, rtol=1e-5)


def test_sliding_equals_the_classifier_on_each_window():
    """With no padding in the body, every position of the score map is the original network
    applied to one crop, exactly: the windows are the training size, at the network's stride."""
    torch.manual_seed(1)
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 6, 3), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Flatten(), nn.Linear(6 * 5 * 5, 16), nn.ReLU(),
                          nn.Linear(16, 10)).eval()
    conv = models.fc_to_conv(model, (1, 28, 28)).eval()
    canvas = torch.rand(1, 1, 60, 52)
    with torch.no_grad():
        scores = conv(canvas)
        stride = 4
        assert scores.shape == (1, 10, (60 - 28) // stride + 1, (52 - 28) // stride + 1)
        for i in range(scores.shape[2]):
            for j in range(scores.shape[3]):
                crop = canvas[:, :, i * stride:i * stride + 28, j * stride:j * stride + 28]
                torch.testing.assert_close(scores[:, :, i, j], model(crop), atol=1e-5, rtol=1e-5)


def test_vgg_fashion_map_size_on_a_canvas():
    model = models.vgg_fashion().eval()
    conv = models.fc_to_conv(model, (1, 28, 28))
    assert (conv.fc1.kernel_size, conv.fc2.kernel_size) == ((3, 3), (1, 1))  # the 128x3x3 map
    with torch.no_grad():
        # three 2x2 poolings (stride 8), then the 3x3 head: floor(H / 8) - 2 positions
        assert conv(torch.zeros(1, 1, 112, 84)).shape == (1, 10, 112 // 8 - 2, 84 // 8 - 2)


def test_vgg16_384_gives_6x6_scores():
    with torch.device("meta"):
        vgg = torchvision.models.vgg16()
        chain = nn.Sequential(vgg.features, nn.Flatten(), *vgg.classifier)  # without the adaptive pool
        conv = models.fc_to_conv(chain, (3, 224, 224))
        kinds = [(m.kernel_size, m.out_channels) for m in conv if isinstance(m, nn.Conv2d)]
        assert kinds == [((7, 7), 4096), ((1, 1), 4096), ((1, 1), 1000)]
        assert conv(torch.zeros(1, 3, 224, 224)).shape == (1, 1000, 1, 1)
        assert conv(torch.zeros(1, 3, 384, 384)).shape == (1, 1000, 6, 6)


def test_original_model_is_untouched():
    model = models.fashion_cnn().train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    conv = models.fc_to_conv(model, (1, 28, 28))
    assert conv.training and model.training
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k])
    conv.conv1.weight.data.zero_()
    assert not torch.equal(model.conv1.weight, conv.conv1.weight)


def test_clear_errors():
    with pytest.raises(ValueError, match="Flatten or Linear"):
        models.fc_to_conv(nn.Sequential(nn.Conv2d(1, 2, 3)), (1, 28, 28))
    with pytest.raises(ValueError, match="expects 1152 inputs.*128x2x2 = 512"):
        models.fc_to_conv(models.vgg_fashion(), (1, 20, 20))
    head_with_bn = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(2 * 26 * 26, 8), nn.BatchNorm1d(8),
                                 nn.Linear(8, 10))
    with pytest.raises(ValueError, match="BatchNorm1d"):
        models.fc_to_conv(head_with_bn, (1, 28, 28))
