"""
Figure 3: reading and indexing throughput of the `xtreme_xnli` reader against tokenizing the
same pairs with the same fast tokenizer in batches, and the reader's peak memory when reading
40k against 400k training lines.

Throughput: instances per second of `reader.read(path)` plus `instance.index_fields(vocab)`
(what AllenNLP's data loader does before batching) with a `pretrained_transformer` tokenizer
and indexer, against `tokenizer(firsts, seconds, truncation="longest_first", max_length=128)`
on batches of 1000 pairs (what the reference's `run_classify.py` does), on the same XNLI-like
pairs of ordinary length, every sentence distinct (the reader encodes each distinct sentence of
a chunk once, so pairs drawn from a few sentences would flatter it). Goal: the reader at half
the batched tokenizer's rate or more. The reader is also measured as it was before it tokenized
in batches (one sentence at a time through AllenNLP's `PretrainedTransformerTokenizer`): the
"before" row; and so is the RS-DA reader (`randomized_smoothing`, 3 copies per pair) around
either. Timing: process CPU time, all contenders interleaved over `--rounds` rounds (after a
garbage collection each), medians of the rates and of the rounds' ratios.
A last pass with timers splits the reader's time into the tokenizer's encoding, building the
tokens, the rest of the instance (parsing included), and indexing.

Memory: a fresh subprocess per size iterates `reader.read(path)` without keeping the instances
(lazy reading) over 40k and over 400k lines, and reports its own peak resident set size
(`VmHWM`: `getrusage` would report at least the parent's size at the fork) and the growth over
its size after setting up and reading the first instance.
Goal: peak(400k) / peak(40k) < 1.2.

    python -m benchmarks.reader_throughput [--pairs 4000] [--rounds 5] [--memory-lines 40000]
"""

import gc
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable, Dict, List

from benchmarks.common import (
    CACHE,
    PROJECT_ROOT,
    SEQUENCE_LENGTH,
    TINY,
    XNLI_LABELS,
    FigureResult,
    figure_main,
    fixture_sentences,
    local_model,
    own_peak_rss_mb,
    peak_rss_mb,
)

MEMORY_GOAL = 1.2
RATIO_GOAL = 0.5
SPEEDUP_GOAL = 1.5
COPIES = 3
NEIGHBORS = PROJECT_ROOT / "tests" / "fixtures" / "neighbors" / "english_neighbors.json"


def distinct_pairs_file(path: Path, count: int, seed: int = 0) -> Path:
    """
    `count` XNLI-style pairs in XTREME's layout, of the length of the fixtures' sentences (as
    ordinary XNLI pairs), with (nearly) every sentence distinct: each is a fixture sentence with
    three of its words replaced by random words of the fixtures.
    """
    import random

    if path.exists():
        return path
    rng = random.Random(seed)
    sentences = fixture_sentences()
    words = sorted({word for sentence in sentences for word in sentence.split()})

    def sentence() -> str:
        chosen = rng.choice(sentences).split()
        for _ in range(3):
            chosen[rng.randrange(len(chosen))] = rng.choice(words)
        return " ".join(chosen)

    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    with open(partial, "w", encoding="utf-8") as out:
        for index in range(count):
            out.write(f"{sentence()}\t{sentence()}\t{XNLI_LABELS[index % 3]}\n")
    partial.replace(path)
    return path


def make_reader(model: str, batched: bool = True):  # type: ignore[no-untyped-def]
    """The `xtreme_xnli` reader; with `batched=False`, as it was: one sentence at a time."""
    from allennlp.data.token_indexers import PretrainedTransformerIndexer
    from allennlp.data.tokenizers import PretrainedTransformerTokenizer

    from allennlp_robust_xlt.pair_classification.dataset_readers import XtremeXnliReader

    reader = XtremeXnliReader(
        tokenizer=PretrainedTransformerTokenizer(model, add_special_tokens=False),
        token_indexers={"tokens": PretrainedTransformerIndexer(model)},
        max_length=SEQUENCE_LENGTH,
    )
    if not batched:
        reader.batched_tokenizer = None
    return reader


def make_smoothing_reader(model: str, batched: bool = True):  # type: ignore[no-untyped-def]
    from allennlp_robust_xlt.data.dataset_readers import RandomizedSmoothingReader

    return RandomizedSmoothingReader(
        make_reader(model, batched), neighbors=str(NEIGHBORS), copies=COPIES, seed=0
    )


def throughput(model: str, data: Path, smoothing_data: Path, rounds: int) -> Dict[str, List[float]]:
    """
    Instances per CPU second, per round, of: batched tokenizing, the reader, the reader before
    batching, and the RS-DA reader around either reader (on `smoothing_data`).
    """
    from allennlp.data import Vocabulary
    from transformers import AutoTokenizer

    vocab = Vocabulary()
    vocab.add_tokens_to_namespace(list(XNLI_LABELS), "labels")
    rows = [line.split("\t") for line in data.read_text(encoding="utf-8").splitlines()]
    tokenizer = AutoTokenizer.from_pretrained(model)

    def read(reader, path: Path) -> int:  # type: ignore[no-untyped-def]
        count = 0
        for instance in reader.read(path):
            instance.index_fields(vocab)
            count += 1
        return count

    def batched() -> int:
        for start in range(0, len(rows), 1000):
            batch = rows[start : start + 1000]
            tokenizer(
                [row[0] for row in batch],
                [row[1] for row in batch],
                truncation="longest_first",
                max_length=SEQUENCE_LENGTH,
            )
        return len(rows)

    readers = {
        "reader": (make_reader(model), data),
        "before": (make_reader(model, batched=False), data),
        "rs-da": (make_smoothing_reader(model), smoothing_data),
        "rs-da before": (make_smoothing_reader(model, batched=False), smoothing_data),
    }
    contenders: Dict[str, Callable[[], int]] = {"batched": batched}
    for name, (reader, path) in readers.items():
        contenders[name] = lambda reader=reader, path=path: read(reader, path)
    rates: Dict[str, List[float]] = {name: [] for name in contenders}
    for round_ in range(rounds + 1):
        for name, contender in contenders.items():
            gc.collect()  # no contender pays for the garbage of the one before
            started = time.process_time()
            count = contender()
            if round_ > 0:
                rates[name].append(count / (time.process_time() - started))
    return rates


def median_ratio(rates: Dict[str, List[float]], name: str, anchor: str) -> float:
    """The median over rounds of the ratio of two contenders' rates in the same round."""
    return statistics.median(value / base for value, base in zip(rates[name], rates[anchor]))


def time_split(model: str, data: Path) -> Dict[str, float]:
    """
    Shares of the reader's CPU time (one pass, with timers): the tokenizer's encoding of the
    chunks, building the tokens (`tokenize_pair`, which finds the encodings in the chunk's
    pool), the rest of reading
    (parsing, fields, instances, AllenNLP's `read`), and indexing.
    """
    from allennlp.data import Vocabulary

    vocab = Vocabulary()
    vocab.add_tokens_to_namespace(list(XNLI_LABELS), "labels")
    reader = make_reader(model)
    batched = reader.batched_tokenizer
    spent = {"encoding": 0.0, "tokens": 0.0, "indexing": 0.0}

    def timed(name: str, function: Callable) -> Callable:
        def call(*args: Any, **kwargs: Any) -> Any:
            started = time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                spent[name] += time.process_time() - started

        return call

    batched.encode = timed("encoding", batched.encode)
    batched.tokenize_pair = timed("tokens", batched.tokenize_pair)
    index = timed("indexing", lambda instance: instance.index_fields(vocab))
    started = time.process_time()
    for instance in reader.read(data):
        index(instance)
    total = time.process_time() - started
    shares = {name: value / total for name, value in spent.items()}
    shares["rest"] = 1.0 - sum(shares.values())
    return shares


def memory_child(model: str, path: str) -> None:
    """Run in a subprocess: read `path` lazily, print JSON with the memory figures."""
    import torch

    torch.set_num_threads(1)
    reader = make_reader(model)
    instances = iter(reader.read(path))
    next(instances)
    start_rss = current_rss_mb()
    count = 1 + sum(1 for _ in instances)
    print(json.dumps({"lines": count, "start_mb": start_rss, "peak_mb": own_peak_rss_mb()}))


def current_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return peak_rss_mb()


def memory(model: str, path: Path) -> Dict[str, float]:
    output = subprocess.run(
        [sys.executable, "-m", "benchmarks.reader_throughput", "--memory-child", model, str(path)],
        cwd=PROJECT_ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def run(pairs: int = 4000, rounds: int = 5, memory_lines: int = 40_000) -> FigureResult:
    model = str(local_model("tiny-xlmr", **TINY))
    data = distinct_pairs_file(CACHE / "reading" / f"distinct-pairs-{pairs}.tsv", pairs)
    smoothing_pairs = max(pairs // 4, 1)
    smoothing_data = distinct_pairs_file(
        CACHE / "reading" / f"distinct-pairs-{smoothing_pairs}.tsv", smoothing_pairs
    )
    result = FigureResult(
        "3. Reading: the XNLI reader vs batched fast tokenization; lazy reading's memory",
        "benchmarks/reader_throughput.py",
    )
    rounds_rates = throughput(model, data, smoothing_data, rounds)
    rates = {name: statistics.median(values) for name, values in rounds_rates.items()}
    ratio = median_ratio(rounds_rates, "reader", "batched")
    result.add(
        "reader + indexing, instances/s",
        f"{rates['reader']:,.0f}",
        f"batched tokenizer {rates['batched']:,.0f}",
        ratio,
        f">= {RATIO_GOAL}",
        ratio >= RATIO_GOAL,
        "process CPU, interleaved",
    )
    speedup = median_ratio(rounds_rates, "reader", "before")
    result.add(
        "fix: batched tokenization",
        f"{rates['reader']:,.0f}",
        f"one sentence at a time {rates['before']:,.0f}",
        speedup,
        f">= {SPEEDUP_GOAL}",
        speedup >= SPEEDUP_GOAL,
        "process CPU, interleaved",
    )
    smoothing_speedup = median_ratio(rounds_rates, "rs-da", "rs-da before")
    result.add(
        f"fix: RS-DA ({COPIES} copies) copies tokenized in batches",
        f"{rates['rs-da']:,.0f}",
        f"one at a time {rates['rs-da before']:,.0f}",
        smoothing_speedup,
        f">= {SPEEDUP_GOAL}",
        smoothing_speedup >= SPEEDUP_GOAL,
        "process CPU, interleaved",
    )
    small = distinct_pairs_file(
        CACHE / "reading" / f"distinct-lines-{memory_lines}.tsv", memory_lines
    )
    large = distinct_pairs_file(
        CACHE / "reading" / f"distinct-lines-{10 * memory_lines}.tsv", 10 * memory_lines
    )
    small_memory, large_memory = memory(model, small), memory(model, large)
    memory_ratio = large_memory["peak_mb"] / small_memory["peak_mb"]
    result.add(
        f"peak RSS reading {10 * memory_lines // 1000}k lines",
        f"{large_memory['peak_mb']:.0f} MiB",
        f"{memory_lines // 1000}k lines {small_memory['peak_mb']:.0f} MiB",
        memory_ratio,
        f"< {MEMORY_GOAL}",
        memory_ratio < MEMORY_GOAL,
        "peak RSS, subprocess",
    )
    split = time_split(model, data)
    result.notes.append(
        f"Tiny XLM-R-style model's fast tokenizer, {pairs} pairs of ordinary XNLI length (every"
        f" sentence distinct), max length {SEQUENCE_LENGTH}; rates are medians of {rounds} rounds"
        " after a warm-up round, ratios medians of the rounds' ratios; RS-DA on"
        f" {smoothing_pairs} pairs with the fixture neighbour table."
        " The reader's time: "
        + ", ".join(f"{name} {share:.0%}" for name, share in split.items())
        + " (rest: parsing, fields, instances, AllenNLP's `read`). Memory growth while reading"
        " (peak minus the size after the first instance):"
        f" {small_memory['peak_mb'] - small_memory['start_mb']:.1f} MiB for {memory_lines // 1000}k"
        f" lines, {large_memory['peak_mb'] - large_memory['start_mb']:.1f} MiB for"
        f" {10 * memory_lines // 1000}k."
    )
    return result


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--memory-child":
        memory_child(sys.argv[2], sys.argv[3])
    else:
        figure_main(
            run,
            (__doc__ or "").strip().split("\n\n")[0],
            [
                (
                    "--pairs",
                    dict(type=int, default=4000, help="pairs for the throughput measurement"),
                ),
                (
                    "--rounds",
                    dict(type=int, default=5, help="measured rounds, after a warm-up round"),
                ),
                (
                    "--memory-lines",
                    dict(
                        type=int,
                        default=40_000,
                        help="the smaller file of the memory figure (the larger: 10x)",
                    ),
                ),
            ],
        )
