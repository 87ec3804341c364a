import torch
from allennlp.training.metrics import CategoricalAccuracy

from allennlp_robust_xlt.nn.model_metrics import model_metrics, preserved_metrics


def test_preserved_metrics_restores_every_metric_in_place():
    class Model(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.accuracy = CategoricalAccuracy()
            self.metrics = {"top2": CategoricalAccuracy(top_k=2)}

    model = Model()
    logits, labels = torch.tensor([[0.1, 0.9], [0.8, 0.2]]), torch.tensor([1, 1])
    model.accuracy(logits, labels)
    accuracy = model.accuracy
    assert len(model_metrics(model)) == 2
    with preserved_metrics(model):
        model.accuracy(logits, labels)
        model.metrics["top2"](logits, labels)
        assert model.accuracy.total_count == 4
    assert model.accuracy is accuracy
    assert (model.accuracy.total_count, model.accuracy.correct_count) == (2, 1)
    assert model.metrics["top2"].total_count == 0
