"""
The languages a report command runs on (`xtreme-report`, `xtreme-alignment`,
`xtreme-retrieval`): `--languages` when given, else those the data has files for.
"""

import logging
from pathlib import Path
from typing import Callable, List, Optional, Sequence

from allennlp_robust_xlt.common.errors import InputFileError, ParameterError
from allennlp_robust_xlt.common.languages import load_language_file

logger = logging.getLogger(__name__)

LANGUAGE_FILE = "languages.tsv"
OPTION = "--languages"


def load_language_files(*directories: Path) -> None:
    """The `languages.tsv` of each directory that has one (one's own languages' codes)."""
    for directory in dict.fromkeys(directories):
        if (directory / LANGUAGE_FILE).is_file():
            load_language_file(directory / LANGUAGE_FILE)


def select_languages(
    command: str,
    given: Optional[Sequence[str]],
    known: Sequence[str],
    *,
    available: Callable[[], List[str]],
    directory: Path,
    files: str,
    accept: Optional[Callable[[str], bool]] = None,
) -> List[str]:
    """
    `given` (`--languages`, duplicates dropped), each of which `accept` (default: being one of
    `known`); else `available()`, the codes the data in `directory` has `files` for (e.g. "XNLI
    test files"): none is an `InputFileError`, and the known languages left out are logged.
    """
    if given:
        codes = list(dict.fromkeys(given))
        for code in codes:
            if not (accept(code) if accept is not None else code in known):
                raise ParameterError(
                    command,
                    OPTION,
                    f"has the unknown language code {code!r}; known codes: {' '.join(known)}",
                )
        return codes
    codes = available()
    if not codes:
        raise InputFileError(
            directory, None, f"has no {files} for any of its languages ({' '.join(known)})"
        )
    missing = [code for code in known if code not in codes]
    if missing:
        logger.warning(
            "%s: no %s for %s; using %s", directory, files, " ".join(missing), " ".join(codes)
        )
    return codes
