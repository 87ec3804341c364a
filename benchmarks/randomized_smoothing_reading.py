"""
Reading throughput of the `randomized_smoothing` reader (RS-DA) relative to the plain reader.

For each setting, the instances produced per second by the wrapper are divided by those of the
plain `xtreme_xnli` reader measured in the same run with the same tokenizer, (a) on the clean
English pairs and (b) on a file holding exactly the copies the wrapper produces (what the
reference does: write the augmented file, then read it). (b) isolates the wrapper's own cost: a
ratio of 1.0 means a copy made on the fly costs as much as reading it from a prepared file. (a)
also includes that substituted words may tokenize into more wordpieces than the originals (with
the tiny test tokenizer, whose vocabulary comes from the fixtures, much more so than with a real
multilingual one). Uses the table of `--neighbors` (a local
copy of the real counter-fitted table), else the local file `XLT_NEIGHBORS` names, else the small
fixture table.

    .venv/bin/python -m benchmarks.randomized_smoothing_reading [--pairs 800] [--repeats 3]

Tokenizers: the tiny XLM-R-style sentencepiece model of the tests (built here, offline), and the
whitespace tokenizer, for which tokenization is nearly free so the ratio shows the cost of the
substitution itself.
"""

import argparse
import os
import tempfile
import time
from pathlib import Path
from statistics import median
from typing import Dict, List, Tuple

# First: benchmarks.common sets the offline environment (HF_HUB_OFFLINE ...) for transformers.
from benchmarks.common import PROJECT_ROOT

import torch
from allennlp.data import DatasetReader
from allennlp.data.token_indexers import PretrainedTransformerIndexer
from allennlp.data.tokenizers import PretrainedTransformerTokenizer

from allennlp_robust_xlt.data.dataset_readers import RandomizedSmoothingReader
from allennlp_robust_xlt.pair_classification.dataset_readers import XtremeXnliReader
from allennlp_robust_xlt.data.synonyms import NeighborTable
from allennlp_robust_xlt.testing.tiny_transformers import (
    build_tiny_transformer,
    read_corpus,
)

FIXTURE_TABLE = PROJECT_ROOT / "tests" / "fixtures" / "neighbors" / "english_neighbors.json"
LOCAL_TABLE = Path(os.environ.get("XLT_NEIGHBORS", "")) if os.environ.get("XLT_NEIGHBORS") else None
XTREME_DATA = PROJECT_ROOT / "tests" / "fixtures" / "data" / "xtreme"


def english_pairs(count: int) -> List[Tuple[str, str, str]]:
    """`count` English pairs built from the fixtures' English sentences (varied combinations)."""
    sentences: List[str] = []
    for path in sorted(XTREME_DATA.glob("*/*-en.tsv")):
        for line in path.read_text(encoding="utf-8").splitlines():
            sentences.extend(line.split("\t")[:2])
    sentences = sorted(set(sentences))
    labels = ("entailment", "neutral", "contradiction")
    pairs = []
    for index in range(count):
        first = sentences[index % len(sentences)]
        second = sentences[(index * 7 + 3) % len(sentences)]
        if index // len(sentences) % 2:
            first = f"I think that {first[0].lower()}{first[1:]}"
        pairs.append((first, second, labels[index % 3]))
    return pairs


def rate(reader: DatasetReader, path: Path) -> Tuple[float, int]:
    """Instances per second of one full read, and their number."""
    started = time.perf_counter()
    count = sum(1 for _ in reader.read(path))
    return count / (time.perf_counter() - started), count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=800)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--neighbors",
        type=Path,
        default=LOCAL_TABLE if LOCAL_TABLE and LOCAL_TABLE.is_file() else FIXTURE_TABLE,
    )
    args = parser.parse_args()
    torch.set_num_threads(1)

    with tempfile.TemporaryDirectory() as temporary:
        root = Path(temporary)
        model = build_tiny_transformer(
            root / "xlmr", "xlmr", read_corpus(sorted(XTREME_DATA.glob("*/*.tsv")))
        )
        data = root / "train-en.tsv"
        data.write_text(
            "".join("\t".join(pair) + "\n" for pair in english_pairs(args.pairs)), encoding="utf-8"
        )

        started = time.perf_counter()
        table = NeighborTable.from_file(args.neighbors)
        load_seconds = time.perf_counter() - started

        def xlmr_reader() -> XtremeXnliReader:
            return XtremeXnliReader(
                tokenizer=PretrainedTransformerTokenizer(str(model), add_special_tokens=False),
                token_indexers={"tokens": PretrainedTransformerIndexer(str(model))},
            )

        tokenizers = {"tiny XLM-R sentencepiece": xlmr_reader, "whitespace": XtremeXnliReader}
        settings = [(3, "exact"), (10, "exact"), (3, "normalized"), (10, "normalized")]
        # The reference's way, for comparison: the same copies written to a file, read plainly.
        augmented: Dict[Tuple[int, str], Path] = {}
        for copies, match in settings:
            augmented[(copies, match)] = root / f"augmented-{copies}-{match}-en.tsv"
            wrapper = RandomizedSmoothingReader(
                XtremeXnliReader(), neighbors=str(args.neighbors), copies=copies, match=match
            )
            with open(augmented[(copies, match)], "w", encoding="utf-8") as augmented_file:
                for instance in wrapper.read(data):
                    metadata = instance["metadata"].metadata
                    augmented_file.write(
                        f"{metadata['premise']}\t{metadata['hypothesis']}\t{instance['label'].label}\n"
                    )
        print(
            f"neighbour table: {args.neighbors} ({table.num_words} words, "
            f"{table.num_words_with_neighbors} with neighbours; loaded in {load_seconds:.2f}s)"
        )
        print(
            f"data: {args.pairs} English pairs; {args.repeats} rounds, each timing every reader"
            " once; medians over the rounds; torch threads 1"
        )
        print(
            "ratio to plain: per instance, against the plain reader on the clean file; ratio to"
            " file: against the plain reader on a file holding the same copies (the reference's"
            " pre-written augmented file)\n"
        )
        print(
            "| tokenizer | reader | copies | match | instances | instances/s | ratio to plain |"
            " ratio to file |"
        )
        print("|---|---|---:|---|---:|---:|---:|---:|")
        for name, base in tokenizers.items():
            rate(base(), data)  # warm-up (tokenizer caches, file cache)
            plain_rates: List[float] = []
            rates: Dict[Tuple[int, str], List[float]] = {setting: [] for setting in settings}
            ratios: Dict[Tuple[int, str], List[float]] = {setting: [] for setting in settings}
            file_ratios: Dict[Tuple[int, str], List[float]] = {setting: [] for setting in settings}
            counts: Dict[Tuple[int, str], int] = {}
            for _ in range(args.repeats):
                plain_rate, plain_count = rate(base(), data)
                plain_rates.append(plain_rate)
                for copies, match in settings:
                    wrapper = RandomizedSmoothingReader(
                        base(), neighbors=str(args.neighbors), copies=copies, match=match
                    )
                    wrapper_rate, counts[(copies, match)] = rate(wrapper, data)
                    file_rate, _ = rate(base(), augmented[(copies, match)])
                    rates[(copies, match)].append(wrapper_rate)
                    ratios[(copies, match)].append(wrapper_rate / plain_rate)
                    file_ratios[(copies, match)].append(wrapper_rate / file_rate)
            print(
                f"| {name} | plain | - | - | {plain_count} | {median(plain_rates):,.0f} | 1.00"
                " | - |"
            )
            for setting in settings:
                copies, match = setting
                print(
                    f"| {name} | randomized_smoothing | {copies} | {match} | {counts[setting]} |"
                    f" {median(rates[setting]):,.0f} | {median(ratios[setting]):.2f} |"
                    f" {median(file_ratios[setting]):.2f} |"
                )


if __name__ == "__main__":
    main()
