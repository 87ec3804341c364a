"""
`allennlp xtreme-alignment`: layer-wise cross-lingual alignment of encoders with English; the
work is done by `allennlp_robust_xlt.analysis.alignment`.
"""

import argparse
from typing import Any, Dict

from allennlp.commands.subcommand import Subcommand

from allennlp_robust_xlt.analysis.alignment.inputs import (
    COMMAND,
    DEFAULT_BATCH_SIZE,
    DEFAULT_POOLING,
    DEFAULT_TASK,
    alignment_tasks,
)
from allennlp_robust_xlt.analysis.alignment.run import xtreme_alignment
from allennlp_robust_xlt.retrieval.sentence_encoder import POOLINGS


@Subcommand.register(COMMAND)
class XtremeAlignment(Subcommand):
    """
    Registered as a `Subcommand` with name "xtreme-alignment".

    `allennlp xtreme-alignment MODEL [MODEL ...] DATA_DIR --output-dir DIR [--task xnli|pawsx|tatoeba]
    [--split test|dev] [--pooling mean|cls] [--languages L ...] [--layer L] [--attack JSON]
    [--batch-size N] [--cuda-device N] [--force]`

    Each MODEL is a Hugging Face model name, a local model directory or an AllenNLP
    `model.tar.gz` (its fine-tuned transformer), optionally as `NAME=MODEL` (NAME goes in the
    `model` column; seeds of one method as `NAME#0`, `NAME#1`, ... for `xtreme-compare`).
    DATA_DIR is the task directory or the XTREME root. For every model, language (against
    English, on parallel sentences: the first sentences of a pair task's line-aligned
    `{split}-{lang}.tsv` files, or Tatoeba's pairs) and layer (`hidden_states` numbering, 0 = the
    embedding output), writes `cos_parallel, cos_random, cos_gap, p_at_1, p_at_1_reverse, cka`
    to `alignment.csv`, a summary at `--layer` (default: XTREME's retrieval layer for the model)
    to `alignment.md`, the settings to `alignment.json`, and plots. `--attack '{"type":
    "embedding_attack", "epsilon": ..., ...}'` also measures every metric with the English side
    perturbed (PGD on its word embeddings, minimising its cosine to the translation at the
    summary layer). Definitions: `allennlp_robust_xlt/analysis/alignment/__init__.py`.
    """

    requires_plugins = True

    def add_subparser(self, parser: argparse._SubParsersAction) -> argparse.ArgumentParser:
        description = (
            "Layer-wise cross-lingual alignment with English (cosine gap, retrieval P@1, linear"
            " CKA) of encoders: model names, model directories or model.tar.gz archives."
        )
        subparser = parser.add_parser(self.name, description=description, help=description)
        subparser.add_argument(
            "models",
            nargs="+",
            metavar="MODEL",
            help="[NAME=]MODEL: a Hugging Face model name, a local model directory or a"
            " model.tar.gz",
        )
        subparser.add_argument(
            "data_dir", metavar="DATA_DIR", help="the task directory, or the XTREME data root"
        )
        subparser.add_argument("--output-dir", required=True, help="directory to write to")
        subparser.add_argument(
            "--task",
            default=DEFAULT_TASK,
            choices=alignment_tasks(),
            help=f"where the parallel sentences come from (default {DEFAULT_TASK})",
        )
        subparser.add_argument(
            "--split", choices=["test", "dev"], help="pair tasks: the split (default test)"
        )
        subparser.add_argument(
            "--pooling",
            choices=POOLINGS,
            default=DEFAULT_POOLING,
            help=f"sentence embedding (default {DEFAULT_POOLING})",
        )
        subparser.add_argument(
            "--languages", nargs="+", help="languages to compare with English (default: all)"
        )
        subparser.add_argument(
            "--layer",
            type=int,
            help="summary layer, hidden_states index (default: XTREME's retrieval layer)",
        )
        subparser.add_argument(
            "--attack",
            help="an embedding_attack evaluator's JSON: alignment with the English side attacked",
        )
        subparser.add_argument(
            "--batch-size",
            type=int,
            default=DEFAULT_BATCH_SIZE,
            help="sentences per forward pass",
        )
        subparser.add_argument(
            "--cuda-device", type=int, default=-1, help="id of GPU to use (if any)"
        )
        subparser.add_argument(
            "--force", action="store_true", help="write into a non-empty output directory"
        )
        subparser.set_defaults(func=alignment_from_args)
        return subparser


def alignment_from_args(args: argparse.Namespace) -> Dict[str, Any]:
    report = xtreme_alignment(
        models=args.models,
        data_dir=args.data_dir,
        output_dir=args.output_dir,
        task=args.task,
        split=args.split,
        pooling=args.pooling,
        languages=args.languages,
        layer=args.layer,
        attack=args.attack,
        batch_size=args.batch_size,
        cuda_device=args.cuda_device,
        force=args.force,
    )
    print(report.markdown())
    return report.settings()
