"""
`allennlp xtreme-retrieval`: Tatoeba and BUCC 2018 with an encoder's sentence embeddings (no
fine-tuning), LAReQA and Mewsli-X with a trained dual encoder's; the work is done by
`allennlp_robust_xlt.retrieval.xtreme_retrieval`.
"""

import argparse
from typing import Any, Dict

from allennlp.commands.subcommand import Subcommand

from allennlp_robust_xlt.retrieval.search import SCORINGS
from allennlp_robust_xlt.retrieval.sentence_encoder import DEFAULT_MAX_LENGTH, SENTENCE_POOLINGS
from allennlp_robust_xlt.retrieval.xtreme_retrieval import (
    COMMAND,
    DEFAULT_BATCH_SIZE,
    RETRIEVAL_TASKS,
    xtreme_retrieval,
)


@Subcommand.register(COMMAND)
class XtremeRetrieval(Subcommand):
    """
    Registered as a `Subcommand` with name "xtreme-retrieval".

    `allennlp xtreme-retrieval MODEL DATA_DIR --task tatoeba|bucc2018|lareqa|mewslix
    --output-dir DIR [--layer L] [--pooling mean|cls] [--scoring cosine|margin]
    [--languages L ...] [--batch-size N] [--max-length N] [--cuda-device N] [--split dev|test]
    [--force]`

    MODEL is a Hugging Face model name, a local model directory or an AllenNLP `model.tar.gz`
    (its fine-tuned transformer is used). DATA_DIR is the task directory or the XTREME root
    holding `tatoeba/` and `bucc2018/`. `--layer` counts like Hugging Face's `hidden_states`
    (0 = the embedding output; default: XTREME's layer for the model); `--pooling` defaults to
    XTREME's (Tatoeba mean, BUCC cls), `--scoring` to cosine (Tatoeba) and ratio margin (BUCC).
    `--split` (BUCC, default test): the split evaluated; the threshold is always chosen on dev's
    gold. LAReQA and Mewsli-X (MODEL: an `xtreme_dual_encoder` archive, or any encoder for a
    baseline): mAP@20 per language; default layer the last, pooling the task table's (cls),
    sub-word limits the table's (`--max-length` does not apply); `--split` (Mewsli-X: dev or
    test, default test). Writes `retrieval.csv`, `retrieval.md` and
    `predictions/{task}/{split}-{lang}.tsv` (Mewsli-X: `.json`, XTREME's format)
    to the output directory (a non-empty one only with `--force`) and prints the table.
    """

    requires_plugins = True

    def add_subparser(self, parser: argparse._SubParsersAction) -> argparse.ArgumentParser:
        description = (
            "Tatoeba / BUCC 2018 retrieval with an encoder's sentence embeddings (XTREME's"
            " protocol), for a model name, a model directory or a model.tar.gz."
        )
        subparser = parser.add_parser(self.name, description=description, help=description)
        subparser.add_argument(
            "model", help="Hugging Face model name, local model directory or model.tar.gz"
        )
        subparser.add_argument(
            "data_dir", help="the task directory, or the XTREME root holding tatoeba/, bucc2018/"
        )
        subparser.add_argument("--task", required=True, choices=RETRIEVAL_TASKS)
        subparser.add_argument("--output-dir", required=True, help="directory to write to")
        subparser.add_argument(
            "--layer",
            type=int,
            help="hidden_states index, 0 = embedding output (default: XTREME's for the model)",
        )
        subparser.add_argument(
            "--pooling",
            choices=SENTENCE_POOLINGS,
            help="default: the model's own (LaBSE pooler, e5 mean), else XTREME's (tatoeba mean,"
            " bucc2018 cls)",
        )
        subparser.add_argument(
            "--scoring",
            choices=SCORINGS,
            help="cosine, or ratio margin over 4 neighbours (default: tatoeba cosine, bucc2018 margin)",
        )
        subparser.add_argument("--languages", nargs="+", help="subset of the task's languages")
        subparser.add_argument(
            "--batch-size", type=int, default=DEFAULT_BATCH_SIZE, help="sentences per forward pass"
        )
        subparser.add_argument(
            "--max-length",
            type=int,
            default=DEFAULT_MAX_LENGTH,
            help="sub-words per sentence, capped by the model (default: XTREME's 512)",
        )
        subparser.add_argument(
            "--cuda-device", type=int, default=-1, help="id of GPU to use (if any)"
        )
        subparser.add_argument(
            "--split",
            choices=["dev", "test"],
            help="bucc2018 (the threshold comes from dev), mewslix: the split evaluated (default test)",
        )
        subparser.add_argument(
            "--force", action="store_true", help="write into a non-empty output directory"
        )
        subparser.set_defaults(func=retrieval_from_args)
        return subparser


def retrieval_from_args(args: argparse.Namespace) -> Dict[str, Any]:
    report = xtreme_retrieval(
        model=args.model,
        data_dir=args.data_dir,
        task=args.task,
        output_dir=args.output_dir,
        layer=args.layer,
        pooling=args.pooling,
        scoring=args.scoring,
        languages=args.languages,
        batch_size=args.batch_size,
        cuda_device=args.cuda_device,
        split=args.split,
        force=args.force,
        max_length=args.max_length,
    )
    print(report.markdown())
    return {result.language: result.metrics for result in report.results}
