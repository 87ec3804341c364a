"""
`allennlp average-checkpoints SOURCE [SOURCE ...] --output OUT.tar.gz [--last K] [--force]`: a
`model.tar.gz` whose weights average a run's last K checkpoints, or several runs of one config
(Schmidt et al. 2023; input, output and checks: `allennlp_robust_xlt/training/checkpoint_averaging.py`).

    allennlp average-checkpoints runs/xnli_seed1 --last 3 --output runs/xnli_seed1/averaged.tar.gz
    allennlp average-checkpoints runs/xnli_seed1 runs/xnli_seed2 runs/xnli_seed3 \\
        --output runs/xnli_seeds.tar.gz
"""

import argparse

from allennlp.commands.subcommand import Subcommand

from allennlp_robust_xlt.training.checkpoint_averaging import NAME, average_checkpoints


@Subcommand.register(NAME)
class AverageCheckpoints(Subcommand):
    """
    Registered as a `Subcommand` with name "average-checkpoints". Arguments: `sources`
    (serialization directories or model.tar.gz archives), `--output` (the archive to write),
    `--last` (average each directory's last K checkpoints), `--force` (see the module docstring).
    """

    def add_subparser(self, parser: argparse._SubParsersAction) -> argparse.ArgumentParser:
        description = (
            "Write a model.tar.gz averaging the weights of a run's last K checkpoints (--last K)"
            " or of several runs of one config that differ only in their seeds."
        )
        subparser = parser.add_parser(self.name, description=description, help=description)
        subparser.add_argument(
            "sources", nargs="+", type=str, help="serialization directories or model.tar.gz files"
        )
        subparser.add_argument(
            "--output", required=True, type=str, help="the averaged model.tar.gz to write"
        )
        subparser.add_argument(
            "--last",
            type=int,
            default=None,
            help="average each run's last K model_state checkpoints (default: each run's "
            "selected model, best.th or the archive's weights)",
        )
        subparser.add_argument(
            "--force", action="store_true", help="replace an existing output file"
        )
        subparser.set_defaults(func=average_checkpoints_from_args)
        return subparser


def average_checkpoints_from_args(args: argparse.Namespace) -> None:
    checkpoints = average_checkpoints(args.sources, args.output, last=args.last, force=args.force)
    print(f"{args.output}: the average of {len(checkpoints)} checkpoint(s)")
    for path in checkpoints:
        print(f"  {path}")
