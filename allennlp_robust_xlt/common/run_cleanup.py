"""
No half-made run directory after a user error.

When `allennlp train` stops on one of our user errors (bad data, a bad parameter), AllenNLP has
already created the serialization directory with `config.json`, `meta.json` and `out.log`, so a
corrected re-run would need `--force`. `note_serialization_dir` (run when the plugin is
imported, before `allennlp train` creates the directory) remembers whether the directory of this
command existed; `remove_failed_serialization_dir` (run by the error hooks of
`common/errors.py` when our error ends the program) removes it again, but only if this very
invocation created it and it holds no checkpoint or model. Anything that existed before the
command (a directory given to `--recover` or `--force`, or any other file) is never touched.
"""

import os
import shutil
import sys
from pathlib import Path
from typing import List, Optional, Sequence

# Files whose presence means the run trained: never removed.
TRAINED_PATTERNS = (
    "model_state_*",
    "training_state_*",
    "best*.th",
    "model.tar.gz",
    "metrics_epoch_*.json",
)

_created_by_this_run: Optional[Path] = None


def serialization_dir_of(argv: Sequence[str]) -> Optional[str]:
    """The `-s/--serialization-dir` of an `allennlp train` command line, else None."""
    if len(argv) < 2 or argv[1] != "train":
        return None
    arguments: List[str] = list(argv[2:])
    for index, argument in enumerate(arguments):
        if argument in ("-s", "--serialization-dir"):
            return arguments[index + 1] if index + 1 < len(arguments) else None
        if argument.startswith("--serialization-dir="):
            return argument.split("=", 1)[1]
        if argument.startswith("-s") and not argument.startswith("--") and len(argument) > 2:
            return argument[2:]
    return None


def note_serialization_dir(argv: Optional[Sequence[str]] = None) -> None:
    """Remember this command's serialization directory if it does not exist yet."""
    global _created_by_this_run
    directory = serialization_dir_of(sys.argv if argv is None else argv)
    if directory is not None and not os.path.lexists(directory):
        _created_by_this_run = Path(directory).absolute()


def remove_failed_serialization_dir() -> Optional[Path]:
    """Remove the directory this command created, if it holds no trained state; return it if removed."""
    global _created_by_this_run
    directory, _created_by_this_run = _created_by_this_run, None
    if directory is None or not directory.is_dir():
        return None
    if any(next(directory.glob(pattern), None) is not None for pattern in TRAINED_PATTERNS):
        return None
    shutil.rmtree(directory, ignore_errors=True)
    return directory
