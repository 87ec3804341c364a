"""
Figure 2: the training step time of each robust method relative to the baseline step, and the
per-instance cost of a training epoch of RS-DA and RS-RP relative to the baseline.

Methods: FGM, PGD with K=1 and K=3, FreeLB with K=3, Fast AT (the `adversarial_training`
callback with its defaults otherwise: PGD, FreeLB and Fast start at random and train on the
adversarial loss only; FGM starts at zero and keeps half the clean loss), RS-RP (the
`random_perturbation` callback) and RS-DA (the `randomized_smoothing` reader, 3 copies as for XNLI, the reference's
counter-fitted neighbour table of `XLT_NEIGHBORS` when it names a local file, else the subset
shipped with the tests: `benchmarks.common.neighbor_table`).

The consistency (KL) methods of `docs/consistency-objectives.md` with their defaults: R3F, SMART
(K=1, without and with its proximal term's teacher) and VAT.

Floors: FGM and Fast need two forward/backward passes (clean or random start, adversarial): 2x
the baseline step (Fast's first pass, at the random start, only differentiates the input).
PGD-K and FreeLB-K need K+1: the trainer's own pass is the attack's first pass, then K more
passes for PGD, K-1 for FreeLB (see `adversarial_training.py`). PGD's ascent-only passes run
with the weights frozen (no weight-gradient work), so PGD can go below its floor. RS-RP and
RS-DA: 1x (RS-DA's step is a baseline step on perturbed text). R3F: a second forward pass and
the backward of both, 2x. SMART K=1 and VAT: one more ascent pass on top of that, 3x (their
ascent pass runs with the weights frozen); SMART's teacher adds a forward pass without
gradient, 10/3x. Goal: at most 10% above the
floor. Per-instance epoch cost of RS-DA and RS-RP: under 5% above the baseline's.

Setup: the compute-bound local model of `benchmarks/common.py` (4 layers, hidden 256), batches
of 16 XNLI pairs that all fill 128 wordpieces, AdamW, AllenNLP's `GradientDescentTrainer` with
a `MultiProcessDataLoader` that reads the file lazily (a batch's reading, and for RS-DA its
perturbation, is part of its step). A step is everything between two consecutive training
batches. Timing: process CPU time. The methods run in turn, one short epoch each per round,
for `--rounds` rounds after a warm-up round; each ratio is the median over the rounds of the
method's median step (or CPU seconds per instance) over the baseline's in the same round.

    python -m benchmarks.robust_step_time [--rounds 5] [--batches 1] [--threads 1]
"""

import statistics
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

import torch

from benchmarks.common import (
    CACHE,
    COMPUTE_BOUND,
    SEQUENCE_LENGTH,
    THREADS,
    FigureResult,
    figure_main,
    local_model,
    long_pairs_file,
    neighbor_table,
    pair_classifier,
)
from benchmarks.trainer_clock import BatchClock

from allennlp.common import Params
from allennlp.data import DatasetReader, Vocabulary
from allennlp.data.data_loaders import MultiProcessDataLoader
from allennlp.data.token_indexers import PretrainedTransformerIndexer
from allennlp.data.tokenizers import PretrainedTransformerTokenizer
from allennlp.models import Model
from allennlp.training import GradientDescentTrainer
from allennlp.training.callbacks.callback import TrainerCallback

import allennlp_robust_xlt  # noqa: F401
from allennlp_robust_xlt.data.dataset_readers import RandomizedSmoothingReader
from allennlp_robust_xlt.pair_classification.dataset_readers import XtremeXnliReader
from allennlp_robust_xlt.training.callbacks.adversarial_training import (
    AdversarialTrainingCallback,
)
from allennlp_robust_xlt.training.callbacks.random_perturbation import (
    RandomPerturbationCallback,
)

BATCH_SIZE = 16
RS_DA_COPIES = 3
STEP_TOLERANCE = 1.10
INSTANCE_GOAL = 1.05


class Method:
    """One training setting: how to build its callbacks and its reader, and its floor."""

    def __init__(
        self,
        label: str,
        floor: float,
        callback: Optional[Callable[[], TrainerCallback]] = None,
        rs_da: bool = False,
    ) -> None:
        self.label = label
        self.floor = floor
        self.callback = callback
        self.rs_da = rs_da


METHODS: List[Method] = [
    Method("baseline", 1.0),
    Method("FGM", 2.0, lambda: AdversarialTrainingCallback("", method="fgm")),
    Method("PGD K=1", 2.0, lambda: AdversarialTrainingCallback("", method="pgd", steps=1)),
    Method("PGD K=3", 4.0, lambda: AdversarialTrainingCallback("", method="pgd", steps=3)),
    Method("FreeLB K=3", 4.0, lambda: AdversarialTrainingCallback("", method="freelb", steps=3)),
    Method("Fast", 2.0, lambda: AdversarialTrainingCallback("", method="fast")),
    Method("R3F", 2.0, lambda: AdversarialTrainingCallback("", method="r3f")),
    Method("SMART K=1", 3.0, lambda: AdversarialTrainingCallback("", method="smart")),
    Method(
        "SMART K=1 + proximal",
        10 / 3,
        lambda: AdversarialTrainingCallback("", method="smart", proximal_weight=1.0),
    ),
    Method("VAT", 3.0, lambda: AdversarialTrainingCallback("", method="vat")),
    Method("RS-RP", 1.0, lambda: RandomPerturbationCallback("")),
    Method(f"RS-DA ({RS_DA_COPIES} copies)", 1.0, rs_da=True),
]


def epoch(
    model: Model, reader: DatasetReader, data: Path, vocab: Vocabulary, method: Method
) -> Tuple[List[float], float, int]:
    """One training epoch: (CPU seconds of each step, CPU seconds of the epoch, instances)."""
    loader = MultiProcessDataLoader(
        reader, str(data), batch_size=BATCH_SIZE, max_instances_in_memory=BATCH_SIZE
    )
    loader.index_with(vocab)
    callbacks: List[TrainerCallback] = [BatchClock("")]
    if method.callback is not None:
        callbacks.insert(0, method.callback())
    BatchClock.reset()
    trainer = GradientDescentTrainer(
        model,
        torch.optim.AdamW(model.parameters(), lr=2e-5),
        loader,
        num_epochs=1,
        grad_norm=1.0,
        callbacks=callbacks,
        run_confidence_checks=False,
    )
    trainer.train()
    steps = [cpu for cpu, _ in BatchClock.steps]
    return steps, sum(steps), len(steps) * BATCH_SIZE


def run(rounds: int = 5, batches: int = 1) -> FigureResult:
    model_dir = str(local_model("compute-bound-xlmr", **COMPUTE_BOUND))
    count = BATCH_SIZE * batches
    data = long_pairs_file(CACHE / "robust_step_time" / f"train-{count}-en.tsv", count)
    neighbors = neighbor_table()

    def base_reader() -> XtremeXnliReader:
        return XtremeXnliReader(
            tokenizer=PretrainedTransformerTokenizer(model_dir, add_special_tokens=False),
            token_indexers={"tokens": PretrainedTransformerIndexer(model_dir)},
            max_length=SEQUENCE_LENGTH,
        )

    plain = base_reader()
    rs_da = RandomizedSmoothingReader(
        base_reader(), neighbors=str(neighbors), copies=RS_DA_COPIES, seed=7
    )
    instances = list(plain.read(data))
    assert {len(instance["tokens"]) for instance in instances} == {SEQUENCE_LENGTH}
    assert {len(instance["tokens"]) for instance in rs_da.read(data)} == {SEQUENCE_LENGTH}
    vocab = Vocabulary.from_instances(instances)
    torch.manual_seed(0)
    model = Model.from_params(vocab=vocab, params=Params(pair_classifier(model_dir)))

    step_medians: Dict[str, List[float]] = {method.label: [] for method in METHODS}
    per_instance: Dict[str, List[float]] = {method.label: [] for method in METHODS}
    for round_ in range(rounds + 1):
        for method in METHODS:
            steps, seconds, instances_read = epoch(
                model, rs_da if method.rs_da else plain, data, vocab, method
            )
            if round_ > 0:
                step_medians[method.label].append(statistics.median(steps))
                per_instance[method.label].append(seconds / instances_read)

    def ratio(values: Dict[str, List[float]], label: str) -> float:
        return statistics.median(
            mine / base for mine, base in zip(values[label], values["baseline"])
        )

    result = FigureResult(
        "2. Step time of each robust method vs the baseline step", "benchmarks/robust_step_time.py"
    )
    base_step = statistics.median(step_medians["baseline"])
    for method in METHODS[1:]:
        value = ratio(step_medians, method.label)
        limit = method.floor * STEP_TOLERANCE
        result.add(
            f"{method.label} step",
            f"{statistics.median(step_medians[method.label]):.2f} s",
            f"baseline {base_step:.2f} s",
            value,
            f"<= {limit:.1f} (floor {method.floor:.0f}x)",
            value <= limit,
            "process CPU, rounds",
        )
    base_instance = statistics.median(per_instance["baseline"])
    for method in [method for method in METHODS if method.label.startswith("RS-")]:
        value = ratio(per_instance, method.label)
        result.add(
            f"{method.label} epoch, CPU s per instance",
            f"{1000 * statistics.median(per_instance[method.label]):.1f} ms",
            f"baseline {1000 * base_instance:.1f} ms",
            value,
            f"< {INSTANCE_GOAL:.2f}",
            value < INSTANCE_GOAL,
            "process CPU, rounds",
        )
    result.notes.append(
        f"Compute-bound model ({COMPUTE_BOUND['num_hidden_layers']} layers, hidden"
        f" {COMPUTE_BOUND['hidden_size']}), batch {BATCH_SIZE} x {SEQUENCE_LENGTH} wordpieces,"
        f" {THREADS} torch thread(s), lazy reading inside the steps; {rounds} rounds of one"
        f" {batches}-batch epoch per method (RS-DA: {RS_DA_COPIES * batches} batches) after a"
        f" warm-up round; neighbour table {neighbors.name}. PGD's ascent passes do no"
        " weight-gradient work, hence PGD K=3 below its floor."
    )
    return result


if __name__ == "__main__":
    figure_main(
        run,
        (__doc__ or "").strip().split("\n\n")[0],
        [
            (
                "--rounds",
                dict(type=int, default=5, help="measured rounds, after one warm-up round"),
            ),
            (
                "--batches",
                dict(type=int, default=1, help="batches per epoch (RS-DA: times its copies)"),
            ),
        ],
    )
