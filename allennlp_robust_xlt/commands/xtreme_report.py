"""
`allennlp xtreme-report`: a model's per-language (and per language pair) report on a task; the
logic is `allennlp_robust_xlt/evaluation/xtreme_report.py`, the files it writes are described in
`allennlp_robust_xlt/evaluation/reports.py`.
"""

import argparse
from typing import Any, Dict

from allennlp.commands.subcommand import Subcommand

from allennlp_robust_xlt.evaluation.xtreme_report import COMMAND, xtreme_report
from allennlp_robust_xlt.tasks import evaluated_tasks


@Subcommand.register(COMMAND)
class XtremeReport(Subcommand):
    """
    Registered as a `Subcommand` with name "xtreme-report".

    `allennlp xtreme-report ARCHIVE DATA_DIR --output-dir DIR [--task TASK] [--split test|dev]
    [--languages L ...] [--generalized] [--force] [--cuda-device N] [--batch-size N]
    [--metric M] [-o OVERRIDES] [--weights-file FILE] [--source-languages L ...]
    [--attack JSON]` loads the model
    archive once and evaluates it, with the archive's validation dataset reader and data loader
    settings and AllenNLP's `Evaluator`, on the task's file of every language in `DATA_DIR`
    (the data root, or the task's directory; file names from the task table: `{split}-{lang}.tsv`,
    `xquad.{lang}.json`, ...); with `--generalized` also on every ordered pair (l1, l2): for the
    pair tasks `{split}-{l1}-{l2}` (first input in l1, second in l2, read on the fly from the
    parallel files), for MLQA the file with questions in l1 and contexts in l2. `--task`
    defaults to the task of the archive's reader, `--languages` to the task's languages that
    have a file, `--metric` to the task's metric. QA reports also get `predictions/{lang}.json`.
    With `--attack '{"type": "embedding_attack", "epsilon": 0.5}'` (or a `synonym_attack`),
    every language is evaluated clean and under that attack (`evaluation/attack_evaluation.py`),
    and the report has the column `attacked_<metric>` beside each of the task's metrics.

    `allennlp xtreme-report --from-metrics FILE ... --output-dir DIR [--task ...]` builds the
    same report from `allennlp evaluate --output-file` JSON files instead; each file's language
    (or `l1-l2` pair) comes from its name (`test-de.json`, `metrics-de-fr.json`) or is given as
    `de=FILE`. An existing non-empty output directory is written into only with `--force`.
    """

    requires_plugins = True

    def add_subparser(self, parser: argparse._SubParsersAction) -> argparse.ArgumentParser:
        description = "Per-language (and generalized language-pair) report of a model on a task."
        subparser = parser.add_parser(self.name, description=description, help=description)
        subparser.add_argument("archive_file", nargs="?", help="model archive (model.tar.gz)")
        subparser.add_argument(
            "data_dir", nargs="?", help="the data root in XTREME's layout, or the task's directory"
        )
        subparser.add_argument(
            "--output-dir", required=True, help="directory to write the report to"
        )
        subparser.add_argument(
            "--task",
            choices=evaluated_tasks(),
            help="default: the task of the archive's reader",
        )
        subparser.add_argument(
            "--split", choices=["test", "dev"], default="test", help="which files to evaluate"
        )
        subparser.add_argument("--languages", nargs="+", help="subset of the task's languages")
        subparser.add_argument(
            "--generalized",
            action="store_true",
            help="also evaluate every ordered language pair (l1, l2)",
        )
        subparser.add_argument(
            "--force", action="store_true", help="write into a non-empty output directory"
        )
        subparser.add_argument(
            "--cuda-device", type=int, default=-1, help="id of GPU to use (if any)"
        )
        subparser.add_argument(
            "--batch-size", type=int, help="evaluation batch size (default: the archive's)"
        )
        subparser.add_argument(
            "--metric", help="the metric of the table (default: the task's, e.g. accuracy)"
        )
        subparser.add_argument(
            "-o", "--overrides", default="", help="overrides of the archive's config"
        )
        subparser.add_argument("--weights-file", help="weights to use instead of the archive's")
        subparser.add_argument(
            "--source-languages",
            nargs="+",
            help="the training languages, left out of the target averages (default: those of the"
            " archive's training files, else en)",
        )
        subparser.add_argument(
            "--attack",
            metavar="JSON",
            help='evaluate clean and under this attack evaluator, e.g. \'{"type":'
            ' "embedding_attack", "norm": "l2", "epsilon": 0.5, "steps": 10}\'',
        )
        subparser.add_argument(
            "--from-metrics",
            nargs="+",
            metavar="FILE",
            help="`allennlp evaluate` output files ([LANG=]FILE) to report instead of evaluating",
        )
        subparser.set_defaults(func=report_from_args)
        return subparser


def report_from_args(args: argparse.Namespace) -> Dict[str, Any]:
    report = xtreme_report(
        output_dir=args.output_dir,
        archive_file=args.archive_file,
        data_dir=args.data_dir,
        task=args.task,
        split=args.split,
        languages=args.languages,
        generalized=args.generalized,
        force=args.force,
        cuda_device=args.cuda_device,
        batch_size=args.batch_size,
        metric=args.metric,
        overrides=args.overrides,
        weights_file=args.weights_file,
        from_metrics=args.from_metrics,
        source_languages=args.source_languages,
        attack=args.attack,
    )
    print(report.markdown())
    return report.to_json()
