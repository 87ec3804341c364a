"""
Figure 1: training throughput (instances per second) of `allennlp train` with the baseline
config (`training_configs/xnli_baseline.jsonnet`) against a minimal hand-written PyTorch +
transformers loop, the way the reference's `run_classify.py` trains: pre-tokenized tensors
padded to 128, `AutoModel` plus the same classification head, AdamW (eps 1e-8, no weight
decay), linear decay, gradient clipping at 1.0, same model, batch size, sequence length (every
pair fills 128 wordpieces) and torch thread count.

Goal: AllenNLP / plain >= 0.95.

Timing: the process CPU time of each optimizer step, the two loops interleaved step by step in
one process so that both see the same machine load: one `allennlp train` run (in-process), and
after each of its steps (in the `benchmark_batch_clock` callback, timed apart) one step of the
plain loop. AllenNLP's step is everything between two consecutive training batches of its
trainer: data loading, collation, forward, backward, clipping, optimizer, scheduler, metrics,
callbacks, progress bar. The first `--warmup` steps of each are left out; the ratio is the
median over the step pairs of plain step / AllenNLP step.

    python -m benchmarks.train_throughput [--steps 16] [--warmup 2] [--batch-size 16]
"""

import tempfile
from pathlib import Path
from typing import Callable

import torch

from benchmarks.common import (
    COMPUTE_BOUND,
    SEQUENCE_LENGTH,
    XNLI_LABELS,
    FigureResult,
    figure_main,
    plain_step,
    step_options,
    StepRatio,
    local_model,
    long_pairs_file,
)

GOAL = 0.95


def plain_loop(model_path: Path, data: Path, batch_size: int) -> Callable[[], None]:
    """The reference's loop, set up; returns `step()`, which runs one optimizer step."""
    from torch.utils.data import DataLoader, RandomSampler, TensorDataset
    from transformers import AutoModel, AutoTokenizer

    rows = [line.split("\t") for line in data.read_text(encoding="utf-8").splitlines()]
    labels = {label: index for index, label in enumerate(XNLI_LABELS)}
    tokenizer = AutoTokenizer.from_pretrained(str(model_path))
    encoded = tokenizer(
        [row[0] for row in rows],
        [row[1] for row in rows],
        truncation="longest_first",
        max_length=SEQUENCE_LENGTH,
        padding="max_length",
        return_tensors="pt",
    )
    dataset = TensorDataset(
        encoded["input_ids"],
        encoded["attention_mask"],
        torch.tensor([labels[row[2]] for row in rows]),
    )
    loader = DataLoader(
        dataset, sampler=RandomSampler(dataset), batch_size=batch_size, drop_last=True
    )
    torch.manual_seed(7)
    encoder = AutoModel.from_pretrained(str(model_path))
    hidden = encoder.config.hidden_size
    # basic_classifier with cls_pooler, dropout 0.1, a tanh feed-forward layer and a linear layer
    head = torch.nn.Sequential(
        torch.nn.Dropout(0.1),
        torch.nn.Linear(hidden, hidden),
        torch.nn.Tanh(),
        torch.nn.Linear(hidden, len(labels)),
    )

    def loss_of(encoder, head, input_ids, mask, label):  # type: ignore[no-untyped-def]
        logits = head(encoder(input_ids=input_ids, attention_mask=mask).last_hidden_state[:, 0])
        return torch.nn.functional.cross_entropy(logits, label)

    return plain_step(encoder, head, loader, loss_of)


def run(steps: int = 16, warmup: int = 2, batch_size: int = 16) -> FigureResult:
    model = local_model("compute-bound-xlmr", **COMPUTE_BOUND)
    result = FigureResult(
        "1. Training throughput: `allennlp train` vs a plain PyTorch loop",
        "benchmarks/train_throughput.py",
    )
    with tempfile.TemporaryDirectory() as scratch:
        data = long_pairs_file(Path(scratch) / "train-en.tsv", (steps + warmup) * batch_size)
        plain = plain_loop(model, data, batch_size)
        timing = StepRatio.measure(
            "xnli_baseline.jsonnet",
            model,
            data,
            plain=plain,
            scratch=Path(scratch),
            batch_size=batch_size,
            warmup=warmup,
        )
    timing.add_row(result, "`allennlp train` xnli_baseline, instances/s", batch_size, GOAL)
    result.notes.append(timing.note(f"{batch_size} x {SEQUENCE_LENGTH} wordpieces", warmup))
    return result


if __name__ == "__main__":
    figure_main(run, (__doc__ or "").strip().split("\n\n")[0], step_options(16, 16))
