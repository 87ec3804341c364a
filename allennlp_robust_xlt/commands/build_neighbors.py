"""
`allennlp build-neighbors VECTORS OUTPUT [--k 8] [--threshold 0.875] [--max-words 50000]
[--batch-size 1024] [--force]`: a synonym-neighbour table for RS-DA from a word-vector text file
(input, output and method: `allennlp_robust_xlt/data/neighbor_tables.py`).

`allennlp build-neighbors --bilingual DICTIONARIES OUTPUT [--source en] [--languages de,fr]
[--k K] [--force]`: a bilingual table (English words to their translations) from MUSE-format
dictionaries `{src}-{tgt}.txt` in the directory DICTIONARIES, for code-switched RS-DA and the
code-mixing attack (`docs/code-switching.md`).

    allennlp build-neighbors cc.de.300.vec neighbors-de.json --include-package allennlp_robust_xlt
    allennlp build-neighbors --bilingual muse/ en-de-fr.json --languages de,fr
"""

import argparse
import time

from allennlp.commands.subcommand import Subcommand

from allennlp_robust_xlt.common.errors import ParameterError
from allennlp_robust_xlt.data.neighbor_tables import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_K,
    DEFAULT_MAX_WORDS,
    DEFAULT_THRESHOLD,
    NAME,
    build_bilingual_file,
    build_neighbors_file,
)


@Subcommand.register(NAME)
class BuildNeighbors(Subcommand):
    """
    Registered as a `Subcommand` with name "build-neighbors". Arguments: `vectors` (input file;
    with `--bilingual`, the directory of dictionaries), `output` (JSON table), `--k`,
    `--threshold`, `--max-words`, `--batch-size`, `--force`, `--bilingual`, `--source`,
    `--languages` (see the module docstring).
    """

    def add_subparser(self, parser: argparse._SubParsersAction) -> argparse.ArgumentParser:
        description = (
            "Build an RS-DA synonym-neighbour table (JSON) from a word-vector text file (.vec),"
            " or with --bilingual a table of translations from MUSE bilingual dictionaries."
        )
        subparser = parser.add_parser(self.name, description=description, help=description)
        subparser.add_argument(
            "vectors",
            type=str,
            help="word2vec/fastText text file (.vec or .vec.gz), path or URL; with --bilingual, a"
            " directory of MUSE dictionaries {src}-{tgt}.txt (or one such file)",
        )
        subparser.add_argument("output", type=str, help="the JSON neighbour table to write")
        subparser.add_argument(
            "--k",
            type=int,
            default=None,
            help=f"neighbours kept per word at most (default {DEFAULT_K}; with --bilingual:"
            " translations per word and language, default all)",
        )
        subparser.add_argument(
            "--threshold",
            type=float,
            default=None,
            help=f"minimum cosine similarity of a neighbour (default {DEFAULT_THRESHOLD})",
        )
        subparser.add_argument(
            "--max-words",
            type=int,
            default=None,
            help=f"read only the first N words of the file (default {DEFAULT_MAX_WORDS})",
        )
        subparser.add_argument(
            "--batch-size",
            type=int,
            default=None,
            help=f"words whose similarities are computed at once (default {DEFAULT_BATCH_SIZE})",
        )
        subparser.add_argument(
            "--force", action="store_true", help="replace an existing output file"
        )
        subparser.add_argument(
            "--bilingual",
            action="store_true",
            help="read MUSE bilingual dictionaries: a table of each source word's translations",
        )
        subparser.add_argument(
            "--source", type=str, default=None, help="--bilingual: the source language (en)"
        )
        subparser.add_argument(
            "--languages",
            type=str,
            default=None,
            help="--bilingual: the target languages, a comma list (default: every dictionary)",
        )
        subparser.set_defaults(func=build_neighbors_from_args)
        return subparser


# The options of each mode, with the vector mode's defaults (None on the command line: not given).
VECTOR_OPTIONS = {
    "threshold": DEFAULT_THRESHOLD,
    "max_words": DEFAULT_MAX_WORDS,
    "batch_size": DEFAULT_BATCH_SIZE,
}
BILINGUAL_OPTIONS = ("source", "languages")


def _option(name: str) -> str:
    return "--" + name.replace("_", "-")


def build_neighbors_from_args(args: argparse.Namespace) -> None:
    started = time.perf_counter()
    if args.bilingual:
        for name in VECTOR_OPTIONS:
            if getattr(args, name) is not None:
                raise ParameterError(NAME, _option(name), "is not used with --bilingual")
        languages = None
        if args.languages is not None:
            languages = [code.strip() for code in args.languages.split(",") if code.strip()]
            if not languages:
                raise ParameterError(NAME, "--languages", "names no language")
        table = build_bilingual_file(
            args.vectors,
            args.output,
            source=args.source or "en",
            languages=languages,
            k=args.k,
            force=args.force,
        )
    else:
        for name in BILINGUAL_OPTIONS:
            if getattr(args, name) is not None:
                raise ParameterError(NAME, _option(name), "is only used with --bilingual")
        table = build_neighbors_file(
            args.vectors,
            args.output,
            k=DEFAULT_K if args.k is None else args.k,
            **{
                name: default if getattr(args, name) is None else getattr(args, name)
                for name, default in VECTOR_OPTIONS.items()
            },
            force=args.force,
        )
    with_neighbors = [neighbors for neighbors in table.values() if neighbors]
    mean = sum(map(len, with_neighbors)) / len(with_neighbors) if with_neighbors else 0.0
    print(
        f"{args.output}: {len(table)} words, {len(with_neighbors)} with at least one neighbour "
        f"(mean {mean:.2f}), in {time.perf_counter() - started:.1f}s"
    )
