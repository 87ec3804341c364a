"""
Figure 6: sentences per second of `xtreme-alignment` (every layer of every language against
English, end to end: reading, embedding, the metrics of every layer, the report and its plots)
against a plain `transformers` forward loop with `output_hidden_states=True` that only embeds
the same sentences (every layer, mean-pooled) on the same compute-bound local model (4 layers,
hidden size 256) with the same batch size. Goal >= 0.9: all layers come from one pass, and
nothing else costs much.

Data: a pair task directory (`pawsx/test-{lang}.tsv`, line-aligned) of `--pairs` lines for
English and `--languages` other languages, whose first sentences join 1 to 4 fixture sentences
(distinct per line and language). Both contenders embed each English sentence once and each
other language's sentences once. The plain loop is what one writes by hand:
`tokenizer(batch, padding=True, truncation=True, max_length=512, return_tensors="pt")`,
`model(**batch, output_hidden_states=True)`, mean pooling of every `hidden_states[i]` over the
attention mask, batches in input order; a second row runs it on length-sorted batches, as the
engine batches (so that the ratio shows the cost of everything but the forward passes).
Timing: process CPU time, the contenders interleaved over `--rounds` rounds after a warm-up
round, medians.

    python -m benchmarks.alignment_throughput [--pairs 300] [--languages 3] [--batch-size 32]
        [--rounds 3]
"""

import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Callable, Dict, List

from benchmarks.common import (
    COMPUTE_BOUND,
    FigureResult,
    figure_main,
    fixture_sentences,
    local_model,
)
from benchmarks.retrieval_throughput import plain_loop

GOAL = 0.9
LANGUAGES = ("de", "fr", "es", "zh", "ar", "ru", "hi", "sw")


def write_pair_files(directory: Path, pairs: int, languages: List[str], seed: int = 0) -> None:
    """`pawsx/test-{lang}.tsv`: distinct first sentences of 1-4 fixture sentences per line."""
    rng = random.Random(seed)
    pool = fixture_sentences()
    task = directory / "pawsx"
    task.mkdir(parents=True)
    for code in ["en", *languages]:
        lines, seen = [], set()
        while len(lines) < pairs:
            sentence = " ".join(rng.choice(pool) for _ in range(rng.randint(1, 4)))
            if sentence not in seen:
                seen.add(sentence)
                lines.append(f"{sentence}\t{rng.choice(pool)}\t1\n")
        (task / f"test-{code}.tsv").write_text("".join(lines), encoding="utf-8")


def run(
    pairs: int = 300, languages: int = 3, batch_size: int = 32, rounds: int = 3
) -> FigureResult:
    from transformers import AutoModel, AutoTokenizer

    from allennlp_robust_xlt.analysis.alignment.run import xtreme_alignment

    model_dir = str(local_model("compute-bound-xlmr", **COMPUTE_BOUND))
    codes = list(LANGUAGES[:languages])
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModel.from_pretrained(model_dir).eval()
    with tempfile.TemporaryDirectory() as scratch:
        data = Path(scratch) / "data"
        write_pair_files(data, pairs, codes)
        sentences = [
            line.split("\t")[0]
            for code in ["en", *codes]
            for line in (data / "pawsx" / f"test-{code}.tsv").read_text().splitlines()
        ]
        outputs = Path(scratch) / "outputs"

        def alignment() -> None:
            xtreme_alignment(
                [model_dir],
                str(data),
                str(outputs),
                task="pawsx",
                batch_size=batch_size,
                force=True,
            )

        by_length = sorted(sentences, key=lambda text: -len(text.split()))
        contenders: Dict[str, Callable[[], object]] = {
            "xtreme-alignment": alignment,
            "plain": lambda: plain_loop(model, tokenizer, sentences, batch_size, None),
            "plain, sorted": lambda: plain_loop(model, tokenizer, by_length, batch_size, None),
        }
        rates: Dict[str, List[float]] = {name: [] for name in contenders}
        for round_ in range(rounds + 1):
            for name, contender in contenders.items():
                started = time.process_time()
                contender()
                if round_ > 0:  # round 0 warms up
                    rates[name].append(len(sentences) / (time.process_time() - started))
        rows = (outputs / "alignment.csv").read_text().splitlines()
    rate = {name: statistics.median(values) for name, values in rates.items()}
    result = FigureResult(
        "8. Alignment: `xtreme-alignment` vs a plain forward loop with all hidden states",
        "benchmarks/alignment_throughput.py",
    )
    for measure, anchor in (
        ("`xtreme-alignment`, every layer and language, sentences/s", "plain"),
        ("the same, against the plain loop on length-sorted batches", "plain, sorted"),
    ):
        ratio = rate["xtreme-alignment"] / rate[anchor]
        result.add(
            measure,
            f"{rate['xtreme-alignment']:.1f}",
            f"{anchor.replace('plain', 'plain loop')} {rate[anchor]:.1f}",
            ratio,
            f">= {GOAL}",
            ratio >= GOAL,
            "process CPU, interleaved",
        )
    result.notes.append(
        f"Compute-bound model (4 layers, hidden 256), {pairs} pairs x (English + {languages}"
        f" languages) = {len(sentences)} sentences of 1-4 fixture sentences, batch {batch_size},"
        f" mean pooling, {len(rows) - 1} CSV rows ({languages} languages x"
        f" {(len(rows) - 1) // languages} layers); xtreme-alignment"
        f" includes loading the model, reading, the metrics of every layer and writing the"
        f" report and plots; medians of {rounds} rounds after a warm-up round."
    )
    return result


if __name__ == "__main__":
    figure_main(
        run,
        "Throughput of xtreme-alignment against a plain transformers loop with all hidden states.",
        [
            ("--pairs", {"type": int, "default": 300}),
            ("--languages", {"type": int, "default": 3}),
            ("--batch-size", {"type": int, "default": 32}),
            ("--rounds", {"type": int, "default": 3}),
        ],
    )
