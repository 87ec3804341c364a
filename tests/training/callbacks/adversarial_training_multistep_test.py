"""Over many optimizer steps, a vanishing perturbation trains like the baseline (batch replay stays in step)."""

from pathlib import Path

import pytest
import torch
from allennlp.common import cached_transformers


from allennlp_robust_xlt.training.callbacks.adversarial_training import AdversarialTrainingCallback
from tests.training.callbacks.helpers import (
    build_model,
    make_trainer,
    parameters,
    vocabulary,
    xnli_instances,
)


@pytest.mark.parametrize(
    "method, extra",
    [
        ("pgd", {"alpha": 1e-7}),
        ("pgd", {"alpha": 1e-7, "random_init": False}),
        ("fgm", {"adversarial_weight": 1.0}),
        ("freelb", {"alpha": 1e-7}),
    ],
)
def test_tiny_epsilon_tracks_the_baseline_over_many_steps(
    tiny_xlmr: Path, tmp_path: Path, method: str, extra: dict
):
    instances = xnli_instances(tiny_xlmr, 16)
    vocab = vocabulary(instances)

    def run(callbacks):
        # A cached transformer skips the random init of from_pretrained: clear it so that both
        # runs start from the same classifier head.
        cached_transformers._clear_caches()
        model = build_model(tiny_xlmr, vocab, seed=0)
        trainer = make_trainer(
            model, instances, vocab, callbacks, batch_size=4, num_epochs=3, lr=0.5
        )
        torch.manual_seed(0)
        trainer.train()
        return parameters(model)

    base = run([])
    adv = run([AdversarialTrainingCallback(str(tmp_path), method=method, epsilon=1e-7, **extra)])
    keys = [k for k in base if not k.endswith("key.bias")]  # attention key biases get no gradient
    difference = torch.cat([(base[k] - adv[k]).flatten() for k in keys]).norm()
    total = torch.cat([base[k].flatten() for k in keys]).norm()
    head = "_classification_layer.weight"
    assert difference / total < 1e-4, (
        float(difference / total),
        float((base[head] - adv[head]).norm() / base[head].norm()),
    )
