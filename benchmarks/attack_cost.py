"""
Figure 5: the cost per instance of the `embedding_attack` evaluator (PGD with K steps on the word
embeddings), against K + 1 forward-backward passes of the same model on the same batches.

The attack runs its clean pass as the first ascent pass (forward, and a backward w.r.t. the
perturbation), K - 1 more ascent passes, and one forward pass at the final perturbation; its
ascent passes run with the weights frozen, so their backward skips the weight gradients. The
anchor is what a plain loop would spend: K + 1 forward passes each followed by a full backward
(the model in eval mode, as the attack runs it). Goal: at most the anchor (ratio <= 1).

Setup: the compute-bound local model of `benchmarks/common.py` (4 layers, hidden 256), batches
of 16 XNLI pairs that all fill 128 wordpieces, an `xtreme_pair_classifier`. Timing: process CPU
time; the attack and the anchor alternate, one pass over the data each per round, for
`--rounds` rounds after a warm-up round; the ratio is the median over the rounds.

    python -m benchmarks.attack_cost [--rounds 3] [--batches 2] [--steps 3 10]
"""

import statistics
import time
from typing import Dict, List

import torch

from benchmarks.common import (
    CACHE,
    COMPUTE_BOUND,
    SEQUENCE_LENGTH,
    FigureResult,
    figure_main,
    local_model,
    long_pairs_file,
    pair_classifier,
)

from allennlp.common import Params
from allennlp.data import Vocabulary
from allennlp.data.data_loaders import SimpleDataLoader
from allennlp.data.token_indexers import PretrainedTransformerIndexer
from allennlp.data.tokenizers import PretrainedTransformerTokenizer
from allennlp.models import Model

import allennlp_robust_xlt  # noqa: F401
from allennlp_robust_xlt.evaluation import EmbeddingAttackEvaluator
from allennlp_robust_xlt.pair_classification.dataset_readers import XtremeXnliReader

BATCH_SIZE = 16
GOAL = 1.0


def run(rounds: int = 3, batches: int = 2, steps: str = "3,10") -> FigureResult:
    model_dir = str(local_model("compute-bound-xlmr", **COMPUTE_BOUND))
    count = BATCH_SIZE * batches
    data = long_pairs_file(CACHE / "attack_cost" / f"test-{count}-en.tsv", count)
    reader = XtremeXnliReader(
        tokenizer=PretrainedTransformerTokenizer(model_dir, add_special_tokens=False),
        token_indexers={"tokens": PretrainedTransformerIndexer(model_dir)},
        max_length=SEQUENCE_LENGTH,
    )
    instances = list(reader.read(data))
    assert {len(instance["tokens"]) for instance in instances} == {SEQUENCE_LENGTH}
    vocab = Vocabulary.from_instances(instances)
    torch.manual_seed(0)
    model = Model.from_params(vocab=vocab, params=Params(pair_classifier(model_dir, dropout=None)))
    model.eval()

    def loader() -> SimpleDataLoader:
        return SimpleDataLoader(list(instances), BATCH_SIZE, vocab=vocab)

    def forward_backward() -> float:
        """CPU seconds of one forward and full backward pass over the data."""
        started = time.process_time()
        for batch in loader():
            model(**batch)["loss"].backward()
            model.zero_grad(set_to_none=True)
        return time.process_time() - started

    def attack(k: int) -> float:
        evaluator = EmbeddingAttackEvaluator(epsilon=0.5, steps=k)
        started = time.process_time()
        evaluator(model, loader())
        return time.process_time() - started

    step_counts = [int(k) for k in str(steps).split(",")]
    ratios: Dict[int, List[float]] = {k: [] for k in step_counts}
    attack_seconds: Dict[int, List[float]] = {k: [] for k in step_counts}
    pass_seconds: List[float] = []
    for round_ in range(rounds + 1):
        one_pass = forward_backward()
        for k in step_counts:
            seconds = attack(k)
            if round_ > 0:  # the first round warms up
                ratios[k].append(seconds / ((k + 1) * one_pass))
                attack_seconds[k].append(seconds / count)
        if round_ > 0:
            pass_seconds.append(one_pass / count)

    result = FigureResult("5. Embedding-attack cost per instance", "benchmarks/attack_cost.py")
    per_pass = statistics.median(pass_seconds)
    for k in step_counts:
        ratio = statistics.median(ratios[k])
        result.add(
            f"`embedding_attack` K={k}, CPU s per instance",
            f"{statistics.median(attack_seconds[k]):.3f} s",
            f"{k + 1} forward-backward passes: {(k + 1) * per_pass:.3f} s",
            ratio,
            f"<= {GOAL:g}",
            ratio <= GOAL,
            "process CPU",
        )
    result.notes.append(
        f"{count} XNLI-style pairs of {SEQUENCE_LENGTH} wordpieces in batches of {BATCH_SIZE},"
        " compute-bound local model (4 layers, hidden 256), eval mode; median over"
        f" {rounds} rounds. The attack's ascent passes back-propagate to the perturbation only"
        " (weights frozen), and its last pass is a forward pass."
    )
    return result


if __name__ == "__main__":
    figure_main(
        run,
        __doc__.split("\n\n")[0],
        [
            ("--rounds", {"type": int, "default": 3}),
            ("--batches", {"type": int, "default": 2}),
            ("--steps", {"default": "3,10", "help": "comma-separated step counts"}),
        ],
    )
