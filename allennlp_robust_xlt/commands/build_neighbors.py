"""
`allennlp build-neighbors VECTORS OUTPUT [--k 8] [--threshold 0.875] [--max-words 50000]
[--batch-size 1024] [--force]`: a synonym-neighbour table for RS-DA from a word-vector text file
(input, output and method: `allennlp_robust_xlt/data/neighbor_tables.py`).

    allennlp build-neighbors cc.de.300.vec neighbors-de.json --include-package allennlp_robust_xlt
"""

import argparse
import time

from allennlp.commands.subcommand import Subcommand

from allennlp_robust_xlt.data.neighbor_tables import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_K,
    DEFAULT_MAX_WORDS,
    DEFAULT_THRESHOLD,
    NAME,
    build_neighbors_file,
)


@Subcommand.register(NAME)
class BuildNeighbors(Subcommand):
    """
    Registered as a `Subcommand` with name "build-neighbors". Arguments: `vectors` (input file),
    `output` (JSON table), `--k`, `--threshold`, `--max-words`, `--batch-size`, `--force`
    (see the module docstring).
    """

    def add_subparser(self, parser: argparse._SubParsersAction) -> argparse.ArgumentParser:
        description = (
            "Build an RS-DA synonym-neighbour table (JSON) from a word-vector text file (.vec)."
        )
        subparser = parser.add_parser(self.name, description=description, help=description)
        subparser.add_argument(
            "vectors", type=str, help="word2vec/fastText text file (.vec or .vec.gz), path or URL"
        )
        subparser.add_argument("output", type=str, help="the JSON neighbour table to write")
        subparser.add_argument(
            "--k", type=int, default=DEFAULT_K, help="neighbours kept per word at most"
        )
        subparser.add_argument(
            "--threshold",
            type=float,
            default=DEFAULT_THRESHOLD,
            help="minimum cosine similarity of a neighbour",
        )
        subparser.add_argument(
            "--max-words",
            type=int,
            default=DEFAULT_MAX_WORDS,
            help="read only the first N words of the file",
        )
        subparser.add_argument(
            "--batch-size",
            type=int,
            default=DEFAULT_BATCH_SIZE,
            help="words whose similarities are computed at once",
        )
        subparser.add_argument(
            "--force", action="store_true", help="replace an existing output file"
        )
        subparser.set_defaults(func=build_neighbors_from_args)
        return subparser


def build_neighbors_from_args(args: argparse.Namespace) -> None:
    started = time.perf_counter()
    table = build_neighbors_file(
        args.vectors,
        args.output,
        k=args.k,
        threshold=args.threshold,
        max_words=args.max_words,
        batch_size=args.batch_size,
        force=args.force,
    )
    with_neighbors = [neighbors for neighbors in table.values() if neighbors]
    mean = sum(map(len, with_neighbors)) / len(with_neighbors) if with_neighbors else 0.0
    print(
        f"{args.output}: {len(table)} words, {len(with_neighbors)} with at least one neighbour "
        f"(mean {mean:.2f}), in {time.perf_counter() - started:.1f}s"
    )
