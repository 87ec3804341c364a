"""
`allennlp download-xtreme [OUTPUT_DIR] [--tasks TASK ...] [--force] [--cache-dir DIR]
[--{source}-url URL ...]`: fetch the tasks' official releases and lay them out as XTREME's
`scripts/download_data.sh` does. The machinery is `allennlp_robust_xlt/data/download.py`; each
task's recipe and release addresses are in the task table and its family package.
"""

import argparse
import os
from typing import Dict

from allennlp.commands.subcommand import Subcommand

from allennlp_robust_xlt.data.download import (
    all_sources,
    default_tasks,
    download_xtreme,
    downloadable_tasks,
    source_option,
)


@Subcommand.register("download-xtreme")
class DownloadXtreme(Subcommand):
    """
    Registered as a `Subcommand` with name "download-xtreme".

    Downloads (through AllenNLP's `cached_path`, so a second run reuses the cache) and writes,
    under OUTPUT_DIR (default `$XLT_DATA_DIR`, else `data/xtreme`), each task's files in XTREME's
    layout (`{task}/{split}-{lang}.tsv`; what each recipe writes is in its family package's
    `download.py`). Existing files are never overwritten unless `--force` is given. Each
    `--{source}-url` option (`--xnli-url`, `--xnli-mt-url`, `--pawsx-url`, ...) takes another
    address, a local archive path or a `file://` URL (a mirror, or a copy made earlier).
    `--tasks` defaults to the tasks the task table downloads by default (XNLI, PAWS-X); UD-POS
    and PAN-X are fetched when named, and PAN-X needs `--panx-url` (its official address is gone).
    """

    requires_plugins = True

    def add_subparser(self, parser: argparse._SubParsersAction) -> argparse.ArgumentParser:
        description = "Download XTREME tasks and write them in XTREME's layout."
        subparser = parser.add_parser(self.name, description=description, help=description)
        subparser.add_argument(
            "output_dir",
            nargs="?",
            default=os.environ.get("XLT_DATA_DIR") or "data/xtreme",
            help="directory to write the tasks into (the default is $XLT_DATA_DIR when set)",
        )
        subparser.add_argument(
            "--tasks",
            nargs="+",
            choices=downloadable_tasks(),
            default=default_tasks(),
            help=f"which tasks (default: {' '.join(default_tasks())})",
        )
        subparser.add_argument("--force", action="store_true", help="overwrite existing files")
        subparser.add_argument(
            "--translate-train",
            action="store_true",
            help="also write the releases' machine-translated training sets"
            " ({task}/translate-train/train-{lang}.tsv, for multi-source training)",
        )
        subparser.add_argument(
            "--cache-dir", default=None, help="download cache (default: AllenNLP's cache)"
        )
        for source, url in all_sources().items():
            default = f"default {url}" if url else "no official address: required for its task"
            subparser.add_argument(
                source_option(source),
                dest=f"url_{source}",
                default=url,
                help=f"address, local path or file:// URL of the release ({default})",
            )
        subparser.set_defaults(func=download_from_args)
        return subparser


def download_from_args(args: argparse.Namespace) -> Dict[str, int]:
    urls = {source: getattr(args, f"url_{source}") for source in all_sources()}
    written = download_xtreme(
        args.output_dir,
        tasks=args.tasks,
        force=args.force,
        cache_dir=args.cache_dir,
        urls=urls,
        translate_train=args.translate_train,
    )
    for path, count in written.items():
        print(f"{path}\t{count} lines")
    return written
