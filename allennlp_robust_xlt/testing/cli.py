"""Running `allennlp` subcommands in-process, exactly as the command line does."""

import sys
from typing import Sequence
from unittest import mock

from allennlp.commands import main
from allennlp.common import cached_transformers


def run_allennlp(*args: str) -> None:
    """
    `allennlp ARGS...` with the plugin included; raises what the command raises. It runs as in a
    fresh process: AllenNLP's in-memory transformer cache is cleared first. (A cache hit skips
    the random initialisation inside `from_pretrained`, which shifts the seeded generators, so a
    second `allennlp train` in one process would start from other initial weights than the same
    command on the command line.)
    """
    cached_transformers._clear_caches()
    argv = ["allennlp", *args, "--include-package", "allennlp_robust_xlt"]
    with mock.patch.object(sys, "argv", argv):
        main(prog="allennlp")


def comma_list(paths: Sequence[object]) -> str:
    return ",".join(str(path) for path in paths)
