"""
The output directory of a report command (`xtreme-report`, `xtreme-compare`, `xtreme-alignment`,
`xtreme-retrieval`): one check of `--output-dir` before any work, and one staged write after it.
"""

import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable, Iterable, List

from allennlp_robust_xlt.common.errors import ParameterError

OPTION = "--output-dir"


def check_output_dir(command: str, output_dir: Path, force: bool) -> None:
    """
    A `ParameterError` of `command` if `output_dir` is a file (with or without `force`), or a
    directory that is not empty and `force` is not given.
    """
    if output_dir.exists() and not output_dir.is_dir():
        raise ParameterError(command, OPTION, f"{output_dir} is not a directory")
    if output_dir.exists() and any(output_dir.iterdir()) and not force:
        raise ParameterError(
            command, OPTION, f"{output_dir} exists and is not empty; pass --force to write into it"
        )


def staged_write(output_dir: Path, write: Callable[[Path], Iterable[Path]]) -> List[Path]:
    """
    Calls `write(staging)`, which writes every output into `staging` (a new directory beside
    `output_dir`) and returns the files' paths; then moves each top-level entry of `staging` into
    `output_dir` (a subdirectory replaces the one of the same name as a whole). An error in
    `write` leaves `output_dir` as it was. Returns the written files' final paths.
    """
    parent = output_dir.absolute().parent
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{output_dir.name}.", dir=parent))
    try:
        written = [Path(path) for path in write(staging)]
        output_dir.mkdir(parents=True, exist_ok=True)
        for entry in sorted(staging.iterdir()):
            target = output_dir / entry.name
            if entry.is_dir():
                shutil.rmtree(target, ignore_errors=True)
            os.replace(entry, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return [output_dir / path.relative_to(staging) for path in written]
