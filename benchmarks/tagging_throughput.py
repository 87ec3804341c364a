"""
Tagging training throughput (instances per second) of `allennlp train` with the UD-POS baseline
config (`training_configs/udpos_baseline.jsonnet`: the `xtreme_tagger` on AllenNLP's mismatched
indexer and embedder) against a minimal hand-written PyTorch + transformers token-classification
loop, the way the reference's `run_tag.py` trains: pre-tokenized sentences padded to 128
sub-words, the tag on each word's first sub-word and -100 (ignored) on the others,
`AutoModel` plus dropout and a linear layer, cross-entropy over the labelled sub-words, AdamW
(eps 1e-8, no weight decay), linear decay, gradient clipping at 1.0; same model, batch size,
sentences (every one exactly 128 sub-words with its special tokens, so every batch has the same
shape on both sides) and torch thread count.

Goal: AllenNLP / plain >= 0.95.

Timing: as `train_throughput.py` (figure 1): the process CPU time of each optimizer step, the
two loops interleaved step by step in one process (a trainer callback runs one plain step after
each AllenNLP step, timed apart); the first `--warmup` steps of each are left out; the ratio is
the median over the step pairs of plain step / AllenNLP step.

    python -m benchmarks.tagging_throughput [--steps 16] [--warmup 2] [--batch-size 16]
"""

import random
import tempfile
from pathlib import Path
from typing import Callable, List, Tuple

import torch

from benchmarks.common import (
    COMPUTE_BOUND,
    SEQUENCE_LENGTH,
    FigureResult,
    figure_main,
    plain_step,
    step_options,
    StepRatio,
    fixture_sentences,
    local_model,
)

GOAL = 0.95
TASK = "udpos"


def full_sentences_file(path: Path, model: Path, count: int, seed: int = 0) -> Path:
    """
    UD-POS sentences in XTREME's layout (`word<TAB>tag`, random tags of the task table), each
    exactly `SEQUENCE_LENGTH` sub-words long with the tokenizer's special tokens.
    """
    from transformers import AutoTokenizer

    from allennlp_robust_xlt.tasks import TASKS

    tokenizer = AutoTokenizer.from_pretrained(str(model))
    budget = SEQUENCE_LENGTH - tokenizer.num_special_tokens_to_add()
    rng = random.Random(seed)
    vocabulary = sorted({word for sentence in fixture_sentences() for word in sentence.split()})
    pieces = {word: len(tokenizer.tokenize(word)) for word in vocabulary}
    fillers = [word for word in vocabulary if pieces[word] == 1]
    tags = TASKS[TASK].labels
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as out:
        for index in range(count):
            words: List[str] = []
            used = 0
            while used < budget:
                word = rng.choice(vocabulary if budget - used > 8 else fillers)
                if used + pieces[word] <= budget:
                    words.append(word)
                    used += pieces[word]
            encoded = tokenizer(words, is_split_into_words=True)["input_ids"]
            assert len(encoded) == SEQUENCE_LENGTH, len(encoded)
            if index:
                out.write("\n")
            out.writelines(f"{word}\t{rng.choice(tags)}\n" for word in words)
    return path


def read_sentences(data: Path) -> List[List[Tuple[str, str]]]:
    blocks = data.read_text(encoding="utf-8").split("\n\n")
    return [[tuple(line.split("\t")) for line in block.splitlines()] for block in blocks]  # type: ignore[misc]


def plain_loop(model_path: Path, data: Path, batch_size: int) -> Callable[[], None]:
    """The reference's token-classification loop, set up; returns `step()` (one optimizer step)."""
    from torch.utils.data import DataLoader, RandomSampler, TensorDataset
    from transformers import AutoModel, AutoTokenizer

    from allennlp_robust_xlt.tasks import TASKS

    labels = {label: index for index, label in enumerate(TASKS[TASK].labels)}
    tokenizer = AutoTokenizer.from_pretrained(str(model_path))
    input_ids, attention, label_ids = [], [], []
    for sentence in read_sentences(data):
        encoded = tokenizer(
            [word for word, _ in sentence],
            is_split_into_words=True,
            max_length=SEQUENCE_LENGTH,
            padding="max_length",
            truncation=True,
        )
        previous = None
        row = []
        for word in encoded.word_ids():  # the first sub-word of each word carries its tag
            row.append(labels[sentence[word][1]] if word is not None and word != previous else -100)
            previous = word
        input_ids.append(encoded["input_ids"])
        attention.append(encoded["attention_mask"])
        label_ids.append(row)
    dataset = TensorDataset(
        torch.tensor(input_ids), torch.tensor(attention), torch.tensor(label_ids)
    )
    loader = DataLoader(
        dataset, sampler=RandomSampler(dataset), batch_size=batch_size, drop_last=True
    )
    torch.manual_seed(7)
    encoder = AutoModel.from_pretrained(str(model_path), add_pooling_layer=False)
    head = torch.nn.Sequential(
        torch.nn.Dropout(0.1), torch.nn.Linear(encoder.config.hidden_size, len(labels))
    )

    def loss_of(encoder, head, ids, mask, gold):  # type: ignore[no-untyped-def]
        logits = head(encoder(input_ids=ids, attention_mask=mask).last_hidden_state)
        return torch.nn.functional.cross_entropy(
            logits.view(-1, len(labels)), gold.view(-1), ignore_index=-100
        )

    return plain_step(encoder, head, loader, loss_of)


def run(steps: int = 16, warmup: int = 2, batch_size: int = 16) -> FigureResult:
    model = local_model("compute-bound-xlmr", **COMPUTE_BOUND)
    result = FigureResult(
        "1b. Tagging training throughput: `allennlp train` vs a plain PyTorch loop",
        "benchmarks/tagging_throughput.py",
    )
    with tempfile.TemporaryDirectory() as scratch:
        data = full_sentences_file(
            Path(scratch) / "train-en.tsv", model, (steps + warmup) * batch_size
        )
        plain = plain_loop(model, data, batch_size)
        timing = StepRatio.measure(
            f"{TASK}_baseline.jsonnet",
            model,
            data,
            plain=plain,
            scratch=Path(scratch),
            batch_size=batch_size,
            warmup=warmup,
        )
    timing.add_row(result, "`allennlp train` udpos_baseline, instances/s", batch_size, GOAL)
    result.notes.append(
        timing.note(f"{batch_size} sentences x {SEQUENCE_LENGTH} sub-words", warmup)
    )
    return result


if __name__ == "__main__":
    figure_main(run, (__doc__ or "").strip().split("\n\n")[0], step_options(16, 16))
