"""course_utils.evaluation: confusion matrix, confused pairs, accuracy report, shifted probabilities."""
import pytest
import torch
from torch import nn

from course_utils import evaluation as ev
from course_utils import models
from course_utils.transforms import shift


def test_confusion_matrix_matches_a_loop():
    g = torch.Generator().manual_seed(0)
    for n, c in [(1, 2), (50, 3), (500, 10)]:
        y_true = torch.randint(0, c, (n,), generator=g)
        y_pred = torch.randint(0, c, (n,), generator=g)
        expected = torch.zeros(c, c, dtype=torch.long)
        for t, p in zip(y_true.tolist(), y_pred.tolist()):
            expected[t, p] += 1
        cm = ev.confusion_matrix(y_true, y_pred, c)
        assert torch.equal(cm, expected) and cm.sum() == n
        assert torch.equal(cm.sum(1), torch.bincount(y_true, minlength=c))


def test_confusion_matrix_errors():
    with pytest.raises(ValueError, match="3 items but y_pred has 2"):
        ev.confusion_matrix(torch.tensor([0, 1, 2]), torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="outside 0..2"):
        ev.confusion_matrix(torch.tensor([0, 3]), torch.tensor([0, 1]), num_classes=3)


def test_most_confused_pairs():
    cm = torch.tensor([[50, 7, 1],
                       [2, 40, 9],
                       [7, 0, 30]])
    assert ev.most_confused_pairs(cm, k=3) == [(1, 2, 9), (0, 1, 7), (2, 0, 7)]
    assert ev.most_confused_pairs(cm, k=2, symmetric=True) == [(0, 1, 9), (1, 2, 9)]
    assert ev.most_confused_pairs(torch.eye(3, dtype=torch.long) * 5) == []  # no mistakes, no pairs
    assert len(ev.most_confused_pairs(cm, k=10)) == 5  # only the non-zero off-diagonal cells


def test_per_class_accuracy():
    cm = torch.tensor([[3, 1], [0, 0]])
    assert ev.per_class_accuracy(cm).tolist() == [0.75, 0.0]


def test_accuracy_report_uses_evaluation_mode():
    torch.manual_seed(0)
    x, y = torch.rand(40, 1, 28, 28), torch.arange(40) % 10
    model = models.fashion_cnn(dropout=0.9).train()
    report = ev.accuracy_report(model, (x, y), (x[:20], y[:20]))
    expected = (model.eval()(x).argmax(1) == y).float().mean().item()
    assert report.train_acc == pytest.approx(expected)
    assert report.gap == pytest.approx(report.train_acc - report.val_acc)
    assert report.test_acc is None  # the test set only when asked for, for a final model
    final = ev.accuracy_report(model, (x, y), (x[:20], y[:20]), test=(x[20:], y[20:]))
    assert final.test_acc == pytest.approx((model(x[20:]).argmax(1) == y[20:]).float().mean().item())


def test_shifted_probabilities():
    torch.manual_seed(0)
    nets = {"mlp": models.mlp(), "cnn": models.fashion_cnn()}
    image = torch.rand(1, 28, 28)
    moved, probs = ev.shifted_probabilities(nets, image, dx=3, dy=-2)
    assert torch.equal(moved, shift(image, 3, -2))
    assert set(probs) == {"mlp", "cnn"}
    for name, p in probs.items():
        assert p.shape == (10,) and torch.allclose(p.sum(), torch.tensor(1.0))
        expected = torch.softmax(nets[name].eval()(moved[None]), 1)[0]
        assert torch.allclose(p, expected, atol=1e-6)
    still, _ = ev.shifted_probabilities(nets, image)
    assert torch.equal(still, image)
    with pytest.raises(ValueError, match="index one item"):
        ev.shifted_probabilities(nets, image[None])


def test_class_probabilities_do_not_change_the_mode():
    model = nn.Sequential(nn.Flatten(), nn.Linear(4, 3), nn.Dropout(0.5)).train()
    p = ev.class_probabilities(model, torch.rand(6, 1, 2, 2))
    assert p.shape == (6, 3) and model.training


def test_results_markdown():
    rows = [ev.ModelResult("CNN", 421_642, ev.AccuracyReport(0.97, 0.915), 10, 190.4),
            ev.ModelResult("MLP", 101_770, ev.AccuracyReport(0.90, 0.88), 10, 3.0)]
    assert rows[0].report.gap == pytest.approx(0.055)
    text = ev.results_markdown(rows).splitlines()
    assert len(text) == 4 and text[0].startswith("| model |") and "test" not in text[0]
    assert text[2] == "| CNN | 421,642 | 97.00% | 91.50% | 5.5 | 10 | 190 s |"
    rows[0] = ev.ModelResult("CNN", 421_642, ev.AccuracyReport(0.97, 0.915, 0.91), 10, 190.4)
    text = ev.results_markdown(rows).splitlines()
    assert "validation acc | test acc |" in text[0]
    assert text[2] == "| CNN | 421,642 | 97.00% | 91.50% | 91.00% | 5.5 | 10 | 190 s |"
    assert text[3] == "| MLP | 101,770 | 90.00% | 88.00% | - | 2.0 | 10 | 3 s |"


def test_compare_runs_measures_each_model_now():
    from course_utils.summary import layer_table
    from course_utils.train import History

    g = torch.Generator().manual_seed(0)
    x, y = torch.rand(40, 1, 28, 28, generator=g), torch.randint(0, 10, (40,), generator=g)
    xv, yv = torch.rand(20, 1, 28, 28, generator=g), torch.randint(0, 10, (20,), generator=g)
    torch.manual_seed(0)
    bn = models.fashion_cnn(batchnorm=True)  # batch norm's scale and shift count as parameters too
    runs = {"LeNet": (models.lenet5_modern(), History(train_loss=[1.0, 0.5], seconds=[1.5, 2.0])),
            "CNN": (bn, History(train_loss=[1.0], seconds=[4.0]))}
    rows = ev.compare_runs(runs, (x, y), (xv, yv))
    assert [r.name for r in rows] == ["LeNet", "CNN"], "in the mapping's order"
    assert rows[0].params == 61_706 and rows[0].epochs == 2 and rows[0].seconds == 3.5
    assert rows[1].params == layer_table(bn, (1, 28, 28)).total_params, "the count the lesson's table shows"
    for r, (model, _) in zip(rows, runs.values()):
        assert r.report == ev.accuracy_report(model, (x, y), (xv, yv)) and r.report.test_acc is None
