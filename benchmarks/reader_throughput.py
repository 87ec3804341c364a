"""
Figure 3: reading and indexing throughput of the `xtreme_xnli` reader against tokenizing the
same pairs with the same fast tokenizer in batches, and the reader's peak memory when reading
40k against 400k training lines.

Throughput: instances per second of `reader.read(path)` plus `instance.index_fields(vocab)`
(what AllenNLP's data loader does before batching) with a `pretrained_transformer` tokenizer
and indexer, against `tokenizer(firsts, seconds, truncation="longest_first", max_length=128)`
on batches of 1000 pairs (what the reference's `run_classify.py` does), on the same XNLI-like
pairs of ordinary length. The reader is also measured as it was before this benchmark's fix
(the pair joined by AllenNLP's `PretrainedTransformerTokenizer.add_special_tokens`, which deep-
copies the second sentence's tokens and copies every token once more): the "before" row. No
goal is set for the ratio (the batched tokenizer is a bound, not a target); the goal is the
speed-up of the fix. Timing: process CPU time, the three interleaved over `--rounds` rounds,
medians.

Memory: a fresh subprocess per size iterates `reader.read(path)` without keeping the instances
(lazy reading) over 40k and over 400k lines, and reports its peak resident set size
(`getrusage`) and the growth over its size after setting up and reading the first instance.
Goal: peak(400k) / peak(40k) < 1.2.

    python -m benchmarks.reader_throughput [--pairs 4000] [--rounds 3] [--memory-lines 40000]
"""

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a file: see benchmarks/common.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    for _name in [
        name for name in sys.modules if name == "benchmarks" or name.startswith("benchmarks.")
    ]:
        del sys.modules[_name]

import json  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
from typing import Dict, List  # noqa: E402

from benchmarks.common import (  # noqa: E402
    CACHE,
    PROJECT_ROOT,
    SEQUENCE_LENGTH,
    TINY,
    XNLI_LABELS,
    FigureResult,
    figure_main,
    local_model,
    long_pairs_file,
    peak_rss_mb,
)

MEMORY_GOAL = 1.2
SPEEDUP_GOAL = 1.5


def make_reader(model: str, before_fix: bool = False):  # type: ignore[no-untyped-def]
    from allennlp.data.token_indexers import PretrainedTransformerIndexer
    from allennlp.data.tokenizers import PretrainedTransformerTokenizer

    from allennlp_robust_xlt.pair_classification.dataset_readers import XtremeXnliReader

    class BeforeFix(XtremeXnliReader):
        """The reader as it was: the pair joined by AllenNLP's `add_special_tokens`."""

        def join_pair(self, first, second):  # type: ignore[no-untyped-def]
            return self._tokenizer.add_special_tokens(first, second)

    reader_class = BeforeFix if before_fix else XtremeXnliReader
    return reader_class(
        tokenizer=PretrainedTransformerTokenizer(model, add_special_tokens=False),
        token_indexers={"tokens": PretrainedTransformerIndexer(model)},
        max_length=SEQUENCE_LENGTH,
    )


def throughput(model: str, data: Path, rounds: int) -> Dict[str, float]:
    """Median instances per CPU second of: the reader, the reader before the fix, batched tokenizing."""
    from allennlp.data import Vocabulary
    from transformers import AutoTokenizer

    vocab = Vocabulary()
    vocab.add_tokens_to_namespace(list(XNLI_LABELS), "labels")
    rows = [line.split("\t") for line in data.read_text(encoding="utf-8").splitlines()]
    tokenizer = AutoTokenizer.from_pretrained(model)

    def read(before_fix: bool) -> int:
        count = 0
        for instance in make_reader(model, before_fix).read(data):
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

    contenders = {"reader": lambda: read(False), "before": lambda: read(True), "batched": batched}
    rates: Dict[str, List[float]] = {name: [] for name in contenders}
    for round_ in range(rounds + 1):
        for name, contender in contenders.items():
            started = time.process_time()
            count = contender()
            if round_ > 0:
                rates[name].append(count / (time.process_time() - started))
    return {name: statistics.median(values) for name, values in rates.items()}


def memory_child(model: str, path: str) -> None:
    """Run in a subprocess: read `path` lazily, print JSON with the memory figures."""
    import torch

    torch.set_num_threads(1)
    reader = make_reader(model)
    instances = iter(reader.read(path))
    next(instances)
    start_rss = current_rss_mb()
    count = 1 + sum(1 for _ in instances)
    print(json.dumps({"lines": count, "start_mb": start_rss, "peak_mb": peak_rss_mb()}))


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


def run(pairs: int = 4000, rounds: int = 3, memory_lines: int = 40_000) -> FigureResult:
    model = str(local_model("tiny-xlmr", **TINY))
    data = long_pairs_file(CACHE / "reading" / f"pairs-{pairs}.tsv", pairs, sentences_per_side=1)
    result = FigureResult(
        "3. Reading: the XNLI reader vs batched fast tokenization; lazy reading's memory",
        "benchmarks/reader_throughput.py",
    )
    rates = throughput(model, data, rounds)
    result.add(
        "reader + indexing, instances/s",
        f"{rates['reader']:,.0f}",
        f"batched tokenizer {rates['batched']:,.0f}",
        rates["reader"] / rates["batched"],
        "- (bound)",
        None,
        "process CPU, interleaved",
    )
    speedup = rates["reader"] / rates["before"]
    result.add(
        "fix: pair joined without deep copies",
        f"{rates['reader']:,.0f}",
        f"before {rates['before']:,.0f}",
        speedup,
        f">= {SPEEDUP_GOAL}",
        speedup >= SPEEDUP_GOAL,
        "process CPU, interleaved",
    )
    small = long_pairs_file(
        CACHE / "reading" / f"lines-{memory_lines}.tsv", memory_lines, sentences_per_side=1
    )
    large = long_pairs_file(
        CACHE / "reading" / f"lines-{10 * memory_lines}.tsv",
        10 * memory_lines,
        sentences_per_side=1,
    )
    small_memory, large_memory = memory(model, small), memory(model, large)
    ratio = large_memory["peak_mb"] / small_memory["peak_mb"]
    result.add(
        f"peak RSS reading {10 * memory_lines // 1000}k lines",
        f"{large_memory['peak_mb']:.0f} MiB",
        f"{memory_lines // 1000}k lines {small_memory['peak_mb']:.0f} MiB",
        ratio,
        f"< {MEMORY_GOAL}",
        ratio < MEMORY_GOAL,
        "peak RSS, subprocess",
    )
    result.notes.append(
        f"Tiny XLM-R-style model's fast tokenizer, {pairs} pairs of ordinary XNLI length, max"
        f" length {SEQUENCE_LENGTH}, medians of {rounds} rounds after a warm-up round. Memory"
        " growth while reading (peak minus the size after the first instance):"
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
                    dict(type=int, default=3, help="measured rounds, after a warm-up round"),
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
