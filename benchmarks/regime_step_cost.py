"""
The training step of the training regimes relative to the single-task baseline step: a joint
multitask step (`xtreme_multitask`: one shared encoder, a PAWS-X head and an XNLI head, a batch
mixing both tasks) and a parallel-objective step (`parallel_objectives`: a batch of English
pairs and their translations, alignment alone, and alignment with consistency).

Floors, in baseline steps (a forward and backward pass of the encoder over a batch of B rows):
the joint step encodes its B rows once and runs two small heads: 1x. A parallel step of B
translation pairs encodes 2B rows in one call (the English texts and their translations, as the
robust callbacks require): 2x; consistency runs the task model's head on the same encodings,
nothing more. Goal: at most 10% above the floor.

Setup: as figure 2 (`robust_step_time.py`): the compute-bound local model of
`benchmarks/common.py` (4 layers, hidden 256), batches of 16 whose rows all fill 128
wordpieces (the parallel batch: 16 English pairs and 16 translated pairs of XTREME's
five-column layout, 128 wordpieces each), AdamW, AllenNLP's `GradientDescentTrainer` over the
data loaders the configs use (`multiprocess`; `multitask` with the `roundrobin` scheduler for the
joint step), reading lazily inside the steps. A step is everything between two consecutive
training batches (`trainer_clock.BatchClock`), timed in process CPU. The settings run in turn,
one short epoch each per round, for `--rounds` rounds after a warm-up round; each ratio is the
median over the rounds of the setting's median step over the baseline's in the same round.

    python -m benchmarks.regime_step_cost [--rounds 5] [--batches 1]
"""

import random
import statistics
from pathlib import Path
from typing import Any, Callable, Dict, List

import torch

from benchmarks.common import (
    CACHE,
    COMPUTE_BOUND,
    SEQUENCE_LENGTH,
    THREADS,
    FigureResult,
    figure_main,
    fixture_sentences,
    local_model,
    long_pairs_file,
    pair_classifier,
)
from benchmarks.trainer_clock import BatchClock

from allennlp.common import Params
from allennlp.data import DataLoader, DatasetReader, Vocabulary
from allennlp.data.data_loaders import MultiProcessDataLoader
from allennlp.data.data_loaders.multitask_data_loader import MultiTaskDataLoader
from allennlp.data.data_loaders.multitask_scheduler import RoundRobinScheduler
from allennlp.data.dataset_readers import MultiTaskDatasetReader
from allennlp.data.token_indexers import PretrainedTransformerIndexer
from allennlp.data.tokenizers import PretrainedTransformerTokenizer
from allennlp.models import Model
from allennlp.training import GradientDescentTrainer

import allennlp_robust_xlt  # noqa: F401
from allennlp_robust_xlt.data.dataset_readers import ParallelSentencesReader
from allennlp_robust_xlt.pair_classification.dataset_readers import (
    XtremePawsxReader,
    XtremeXnliReader,
)

BATCH_SIZE = 16
STEP_TOLERANCE = 1.10
FLOORS = {"joint": 1.0, "parallel, alignment": 2.0, "parallel, alignment + consistency": 2.0}


def translations_file(path: Path, count: int, seed: int = 0) -> Path:
    """XTREME's five-column translate-train layout: an English pair, its "translation", label."""
    rng = random.Random(seed)
    sentences = fixture_sentences()
    path.parent.mkdir(parents=True, exist_ok=True)

    def side() -> str:
        return " ".join(rng.choice(sentences) for _ in range(12))

    with open(path, "w", encoding="utf-8") as out:
        for index in range(count):
            out.write("\t".join([side(), side(), side(), side(), str(index % 2)]) + "\n")
    return path


def pawsx_file(path: Path, count: int) -> Path:
    """Long pairs with PAWS-X's labels."""
    source = long_pairs_file(path.with_suffix(".xnli.tsv"), count, seed=1)
    lines = source.read_text(encoding="utf-8").splitlines()
    path.write_text(
        "".join(
            "\t".join(line.split("\t")[:2] + [str(i % 2)]) + "\n" for i, line in enumerate(lines)
        ),
        encoding="utf-8",
    )
    return path


def classifier_head(hidden: int, namespace: str) -> Dict[str, Any]:
    return {
        "type": "classifier",
        "seq2vec_encoder": {"type": "cls_pooler", "embedding_dim": hidden},
        "feedforward": {
            "input_dim": hidden,
            "num_layers": 1,
            "hidden_dims": hidden,
            "activations": "tanh",
        },
        "dropout": 0.1,
        "label_namespace": namespace,
    }


class Setting:
    """One kind of training step: its model and a function making one epoch's data loader."""

    def __init__(self, label: str, model: Model, loader: Callable[[], DataLoader]) -> None:
        self.label = label
        self.model = model
        self.loader = loader

    def epoch(self) -> List[float]:
        """CPU seconds of each step of one training epoch."""
        loader = self.loader()
        loader.index_with(self.model.vocab)
        BatchClock.reset()
        GradientDescentTrainer(
            self.model,
            torch.optim.AdamW(self.model.parameters(), lr=2e-5),
            loader,
            num_epochs=1,
            grad_norm=1.0,
            callbacks=[BatchClock("")],
            run_confidence_checks=False,
        ).train()
        return [cpu for cpu, _ in BatchClock.steps]


def run(rounds: int = 5, batches: int = 1) -> FigureResult:
    model_dir = str(local_model("compute-bound-xlmr", **COMPUTE_BOUND))
    hidden = COMPUTE_BOUND["hidden_size"]
    count = BATCH_SIZE * batches
    directory = CACHE / "regime_step_cost"
    xnli_data = long_pairs_file(directory / f"xnli-{count}" / "train-en.tsv", count)
    half = count // 2
    joint_xnli = long_pairs_file(directory / f"joint-{half}" / "xnli-train-en.tsv", half)
    joint_pawsx = pawsx_file(directory / f"joint-{half}" / "pawsx-train-en.tsv", half)
    parallel_data = translations_file(directory / f"parallel-{count}" / "train-de.tsv", count)

    def tokenizer() -> PretrainedTransformerTokenizer:
        return PretrainedTransformerTokenizer(model_dir, add_special_tokens=False)

    def indexers() -> Dict[str, PretrainedTransformerIndexer]:
        return {"tokens": PretrainedTransformerIndexer(model_dir)}

    def pair_reader(reader_class: type, namespace: str = "labels") -> DatasetReader:
        return reader_class(
            tokenizer=tokenizer(),
            token_indexers=indexers(),
            max_length=SEQUENCE_LENGTH,
            label_namespace=namespace,
        )

    parallel_reader = ParallelSentencesReader(
        tokenizer=tokenizer(), token_indexers=indexers(), max_length=SEQUENCE_LENGTH
    )
    joint_reader = MultiTaskDatasetReader(
        {
            "pawsx": pair_reader(XtremePawsxReader, "pawsx_labels"),
            "xnli": pair_reader(XtremeXnliReader, "xnli_labels"),
        }
    )
    plain = pair_reader(XtremeXnliReader)
    baseline_instances = list(plain.read(xnli_data))
    parallel_instances = list(parallel_reader.read(parallel_data))
    assert {len(instance["tokens"]) for instance in baseline_instances} == {SEQUENCE_LENGTH}
    assert {
        len(instance[field])
        for instance in parallel_instances
        for field in ("parallel_source", "parallel_target")
    } == {SEQUENCE_LENGTH}
    joint_instances = [
        instance
        for key, path in (("pawsx", joint_pawsx), ("xnli", joint_xnli))
        for instance in joint_reader.readers[key].read(path)
    ]
    vocab = Vocabulary.from_instances(baseline_instances + joint_instances)

    def build(params: Dict[str, Any]) -> Model:
        torch.manual_seed(0)
        return Model.from_params(vocab=vocab, params=Params(params))

    joint_model = build(
        {
            "type": "xtreme_multitask",
            "target_task": "pawsx",
            "backbone": {
                "type": "pretrained_transformer",
                "model_name": model_dir,
                "output_token_strings": False,
            },
            "heads": {
                "pawsx": classifier_head(hidden, "pawsx_labels"),
                "xnli": classifier_head(hidden, "xnli_labels"),
            },
            "arg_name_mapping": {"backbone": {"tokens": "text"}},
        }
    )

    def simple_loader(reader: DatasetReader, path: Path) -> Callable[[], DataLoader]:
        return lambda: MultiProcessDataLoader(
            reader, str(path), batch_size=BATCH_SIZE, max_instances_in_memory=BATCH_SIZE
        )

    settings = [
        Setting(
            "baseline", build(pair_classifier(model_dir, hidden)), simple_loader(plain, xnli_data)
        ),
        Setting(
            "joint",
            joint_model,
            lambda: MultiTaskDataLoader(
                joint_reader,
                {"pawsx": str(joint_pawsx), "xnli": str(joint_xnli)},
                RoundRobinScheduler(BATCH_SIZE),
            ),
        ),
        Setting(
            "parallel, alignment",
            build(
                {
                    "type": "parallel_objectives",
                    "model": pair_classifier(model_dir, hidden),
                    "alignment_weight": 1.0,
                }
            ),
            simple_loader(parallel_reader, parallel_data),
        ),
        Setting(
            "parallel, alignment + consistency",
            build(
                {
                    "type": "parallel_objectives",
                    "model": pair_classifier(model_dir, hidden),
                    "alignment_weight": 1.0,
                    "consistency_weight": 5.0,
                }
            ),
            simple_loader(parallel_reader, parallel_data),
        ),
    ]

    medians: Dict[str, List[float]] = {setting.label: [] for setting in settings}
    for round_ in range(rounds + 1):
        for setting in settings:
            steps = setting.epoch()
            if round_ > 0:
                medians[setting.label].append(statistics.median(steps))

    result = FigureResult(
        "2b. Step time of the training regimes vs the baseline step",
        "benchmarks/regime_step_cost.py",
    )
    base = statistics.median(medians["baseline"])
    for setting in settings[1:]:
        value = statistics.median(
            mine / theirs for mine, theirs in zip(medians[setting.label], medians["baseline"])
        )
        floor = FLOORS[setting.label]
        limit = floor * STEP_TOLERANCE
        result.add(
            f"{setting.label} step",
            f"{statistics.median(medians[setting.label]):.2f} s",
            f"baseline {base:.2f} s",
            value,
            f"<= {limit:.1f} (floor {floor:.0f}x)",
            value <= limit,
            "process CPU, rounds",
        )
    result.notes.append(
        f"Compute-bound model ({COMPUTE_BOUND['num_hidden_layers']} layers, hidden"
        f" {COMPUTE_BOUND['hidden_size']}), batches of {BATCH_SIZE} rows of {SEQUENCE_LENGTH}"
        f" wordpieces (joint: {BATCH_SIZE // 2} of each task; parallel: {BATCH_SIZE} English"
        f" pairs and their {BATCH_SIZE} translations, encoded in one call of {2 * BATCH_SIZE}"
        f" rows), {THREADS} torch thread(s), lazy reading inside the steps; {rounds} rounds of"
        f" one {batches}-batch epoch per setting after a warm-up round."
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
            ("--batches", dict(type=int, default=1, help="batches per epoch")),
        ],
    )
