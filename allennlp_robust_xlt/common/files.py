"""Resolving a user's input path or URL to a local file, with errors that name it."""

import os
from typing import Any, Optional

from allennlp.common.file_utils import cached_path

from allennlp_robust_xlt.common.errors import InputFileError


def local_input(
    path: str, missing: str = "file not found", expected: Optional[str] = None, **kwargs: Any
) -> str:
    """
    The local path of `path` (a URL is downloaded once, through AllenNLP's `cached_path`, which
    also takes `kwargs` such as `cache_dir`). A missing file is an `InputFileError` saying
    `missing`; with `expected` (e.g. "a JSON neighbour table"), so is a directory.
    """
    try:
        local = cached_path(path, **kwargs)
    except FileNotFoundError:
        raise InputFileError(path, None, missing) from None
    if expected is not None and os.path.isdir(local):
        raise InputFileError(path, None, f"is a directory, expected {expected}")
    return local
