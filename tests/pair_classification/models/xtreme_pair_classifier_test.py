from pathlib import Path

import torch

from allennlp_robust_xlt.nn.consistency import output_distributions
from tests.training.callbacks.helpers import build_model, first_batch, vocabulary, xnli_instances


def test_output_distributions_are_each_examples_class_distribution(tiny_xlmr: Path):
    instances = xnli_instances(tiny_xlmr, 4)
    vocab = vocabulary(instances)
    model = build_model(tiny_xlmr, vocab).eval()
    batch = first_batch(instances, vocab)
    output = model(**batch)
    [distributions] = output_distributions(model, output)
    assert distributions.class_mask is None
    assert torch.allclose(distributions.log_probs.exp(), output["probs"], atol=1e-6)
    # The same distributions without labels: a consistency term needs none.
    del batch["label"]
    [unlabelled] = output_distributions(model, model(**batch))
    assert torch.allclose(unlabelled.log_probs, distributions.log_probs)
