"""
`allennlp export-transformer ARCHIVE OUT_DIR [--encoder-only] [--force]`: the fine-tuned model of
an AllenNLP archive as a Hugging Face model directory (`save_pretrained`'s files and the
tokenizer's), the task model where the archive's head maps onto one exactly (what is written and
when: `allennlp_robust_xlt/export/transformer_export.py`).

    allennlp export-transformer runs/xnli_adv/model.tar.gz exported/xnli_adv \\
        --include-package allennlp_robust_xlt
"""

import argparse

from allennlp.commands.subcommand import Subcommand

from allennlp_robust_xlt.export.transformer_export import COMMAND, export_transformer


@Subcommand.register(COMMAND)
class ExportTransformer(Subcommand):
    """
    Registered as a `Subcommand` with name "export-transformer". Arguments: `archive` (an
    AllenNLP `model.tar.gz`), `output_dir` (written only if new or empty, unless `--force`,
    which replaces it), `--encoder-only` (the encoder alone, for any head).
    """

    requires_plugins = True

    def add_subparser(self, parser: argparse._SubParsersAction) -> argparse.ArgumentParser:
        description = (
            "Write an archive's fine-tuned transformer (and its task head, where Hugging Face has"
            " the same one) and tokenizer as a Hugging Face model directory."
        )
        subparser = parser.add_parser(self.name, description=description, help=description)
        subparser.add_argument("archive", metavar="ARCHIVE", help="an AllenNLP model.tar.gz")
        subparser.add_argument("output_dir", metavar="OUT_DIR", help="the directory to write")
        subparser.add_argument(
            "--encoder-only",
            action="store_true",
            help="write the encoder alone (AutoModel), whatever the head",
        )
        subparser.add_argument("--force", action="store_true", help="replace a non-empty OUT_DIR")
        subparser.set_defaults(func=export_from_args)
        return subparser


def export_from_args(args: argparse.Namespace) -> None:
    result = export_transformer(
        args.archive, args.output_dir, force=args.force, encoder_only=args.encoder_only
    )
    print(result.summary())
