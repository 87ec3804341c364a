"""
`allennlp xtreme-compare`: methods x seeds of `xtreme-report` directories compared per language
and family, with bootstrap intervals, and gains correlated with language distance and alignment
(the computation is `allennlp_robust_xlt.analysis.compare`).
"""

import argparse
from pathlib import Path
from typing import Any, Dict

from allennlp.commands.subcommand import Subcommand

from allennlp_robust_xlt.analysis.compare.gains import compare_runs
from allennlp_robust_xlt.analysis.compare.inputs import COMMAND, parse_runs
from allennlp_robust_xlt.analysis.compare.tables import write_comparison
from allennlp_robust_xlt.common.output_dir import check_output_dir
from allennlp_robust_xlt.analysis.language_distances import LANG2VEC_FEATURE_SETS
from allennlp_robust_xlt.analysis.statistics import DEFAULT_BOOTSTRAP, DEFAULT_PERMUTATIONS
from allennlp_robust_xlt.common.errors import ParameterError


@Subcommand.register(COMMAND)
class XtremeCompare(Subcommand):
    """
    Registered as a `Subcommand` with name "xtreme-compare".

    `allennlp xtreme-compare --runs NAME=DIR[,DIR...] NAME=DIR[,DIR...] ... --output-dir DIR
    [--reference NAME] [--metric M] [--distances FILE ...] [--lang2vec SET ... | none]
    [--alignment DIR] [--alignment-layer L] [--families FILE] [--scores] [--force] [--seed N]
    [--bootstrap N] [--permutations N]`

    Each `DIR` is an `xtreme-report` output directory (one per seed) of one task and split.
    `--reference` (default: the first method) is the method gains are measured against;
    `--metric` defaults to the reports' table metric. `--distances FILE` adds user distances from
    English (CSV `language,distance_name,value`); `--lang2vec` chooses the lang2vec-feature
    cosine distances (syntactic phonological inventory geographic genetic, all by default;
    `none` for languages lang2vec lacks, such as the synthetic ones). `--alignment DIR` is an
    `xtreme-alignment` output whose `model` names are the method names; its layer is
    `alignment.json`'s `summary_layer` unless `--alignment-layer` is given. `--families FILE`
    (`language,family[,genus]`) overrides the WALS families for the languages it lists.
    `--scores` also correlates each method's own scores (not only gains) with the predictors.

    Writes (an existing non-empty output directory only with `--force`): `comparison.csv`,
    `families.csv`, `correlations.csv`, `distances.csv`, `comparison.md`, `gain_vs_distance.png`,
    `families.png` and, for generalized reports, `pair_gain_vs_distance.png`; prints the
    summary. The package docstring of `allennlp_robust_xlt.analysis.compare` defines each number.
    """

    requires_plugins = True

    def add_subparser(self, parser: argparse._SubParsersAction) -> argparse.ArgumentParser:
        description = (
            "Compare methods x seeds of xtreme-report directories per language and family,"
            " and correlate the gains with language distance and alignment."
        )
        subparser = parser.add_parser(self.name, description=description, help=description)
        subparser.add_argument(
            "--runs",
            nargs="+",
            required=True,
            metavar="NAME=DIR[,DIR...]",
            help="a method name and its xtreme-report directories, one per seed",
        )
        subparser.add_argument("--output-dir", required=True, help="directory to write to")
        subparser.add_argument(
            "--reference", help="the method to compare against (default: the first)"
        )
        subparser.add_argument("--metric", help="the metric to compare (default: the reports')")
        subparser.add_argument(
            "--distances",
            nargs="+",
            default=[],
            metavar="FILE",
            help="CSV files language,distance_name,value of distances from English",
        )
        subparser.add_argument(
            "--lang2vec",
            nargs="+",
            default=list(LANG2VEC_FEATURE_SETS),
            choices=[*LANG2VEC_FEATURE_SETS, "none"],
            metavar="SET",
            help=f"lang2vec distances: {' '.join(LANG2VEC_FEATURE_SETS)} (default: all) or none",
        )
        subparser.add_argument("--alignment", metavar="DIR", help="an xtreme-alignment output")
        subparser.add_argument(
            "--alignment-layer",
            type=int,
            help="layer of alignment.csv (default: its summary layer)",
        )
        subparser.add_argument(
            "--families", metavar="FILE", help="CSV language,family[,genus] overriding WALS's"
        )
        subparser.add_argument(
            "--scores",
            action="store_true",
            help="also correlate each method's scores (not only its gains) with the predictors",
        )
        subparser.add_argument(
            "--force", action="store_true", help="write into a non-empty output directory"
        )
        subparser.add_argument(
            "--seed", type=int, default=0, help="seed of the bootstrap and permutations"
        )
        subparser.add_argument(
            "--bootstrap", type=int, default=DEFAULT_BOOTSTRAP, help="bootstrap replicates"
        )
        subparser.add_argument(
            "--permutations",
            type=int,
            default=DEFAULT_PERMUTATIONS,
            help="permutations of the correlation tests",
        )
        subparser.set_defaults(func=compare_from_args)
        return subparser


def compare_from_args(args: argparse.Namespace) -> Dict[str, Any]:
    lang2vec = list(dict.fromkeys(args.lang2vec))
    if "none" in lang2vec:
        if len(lang2vec) > 1:
            raise ParameterError(COMMAND, "--lang2vec", "none cannot be combined with feature sets")
        lang2vec = []
    output_dir = Path(args.output_dir)
    check_output_dir(COMMAND, output_dir, args.force)
    comparison = compare_runs(
        parse_runs(args.runs),
        reference=args.reference,
        metric=args.metric,
        distance_files=args.distances,
        alignment_dir=args.alignment,
        alignment_layer=args.alignment_layer,
        families_file=args.families,
        lang2vec=lang2vec,
        seed=args.seed,
        n_bootstrap=args.bootstrap,
        n_permutations=args.permutations,
        scores=args.scores,
    )
    written = write_comparison(comparison, output_dir, force=args.force)
    print((output_dir / "comparison.md").read_text(encoding="utf-8"))
    return {"output_dir": str(output_dir), "files": [str(path) for path in written]}
