"""
Unlabelled target-language inputs for the label-free consistency objectives: reading them and
dealing them out as batches. Nothing here is registered; the `unlabeled_consistency` trainer
callback (`training/callbacks/unlabeled_consistency.py`) uses it.

**Files.** A directory (the configs' `XLT_UNLABELED_DATA`) with one file per language,
`{lang}{extension}` (the task's extension: `de.tsv`), in the task's *stripped-test layout*, the
layout of XTREME's test files without their labels:

| family | tasks | a file |
|---|---|---|
| pair classification | XNLI, PAWS-X | one pair per line, its two texts separated by a tab |
| tagging | UD-POS, PAN-X | one word per line, a blank line between sentences |

Every file is read by the task's own reader (its tokenization, sub-word limits and line
reading, so a bad line stops with one line naming `file:line`), and each instance's metadata
gets the file's language (and the file's name under `unlabeled_path`).
A file that carries labels (a third column of a pair file, a tag
after a word) is refused on its first labelled line: these inputs never get a supervised loss.
The languages are those of `languages` (the configs' `XLT_UNLABELED_LANGUAGES`, a comma list),
or by default every `{lang}{extension}` file of the directory. A missing or empty directory, and
a listed language without its file, are one line each.

Other families (QA, multiple choice, retrieval) have no unlabelled layout here: an unlabelled
QA or choice input is a question with its context or choices, which their readers expect with
answers or labels.

**Batches.** `UnlabeledBatches` reads the files once, indexes the instances with the model's
vocabulary, and deals batches of `batch_size` instances (all languages mixed, in a random order
of its own seeded generator, reshuffled after each pass) for ever, in the trainer's batch
format (the tensor dictionary of AllenNLP's collate function, on the model's device), without
the label field the model would compute a loss from.
"""

import logging
import random
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence, Union

from allennlp.data import DatasetReader, Instance, Vocabulary
from allennlp.data.data_loaders.data_loader import TensorDict
from allennlp.data.data_loaders.data_collator import allennlp_collate
from allennlp.data.fields import LabelField, SequenceLabelField
from allennlp.nn import util as nn_util

from allennlp_robust_xlt.common.errors import InputFileError, ParameterError

logger = logging.getLogger(__name__)

FAMILIES = ("pair_classification", "tagging")
"""The task families with an unlabelled layout."""


def parse_languages(languages: Union[str, Sequence[str], None]) -> Optional[List[str]]:
    """A comma list (or a list) of language codes; `None` for an empty one (every file)."""
    if languages is None:
        return None
    items = languages.split(",") if isinstance(languages, str) else list(languages)
    codes = [str(code).strip() for code in items if str(code).strip()]
    return codes or None


def unlabeled_files(
    directory: str,
    extension: str,
    languages: Union[str, Sequence[str], None] = None,
    component: str = "unlabeled_consistency",
) -> Dict[str, Path]:
    """`{language: file}` of the directory, for the chosen languages (see the module docstring)."""
    if not directory:
        raise ParameterError(
            component,
            "directory",
            "is empty: name the directory of unlabelled files (XLT_UNLABELED_DATA)",
        )
    root = Path(directory)
    if not root.is_dir():
        raise InputFileError(
            directory,
            None,
            "unlabelled-data directory not found" if not root.exists() else "is not a directory",
        )
    available = {
        path.name[: -len(extension)]: path
        for path in sorted(root.iterdir())
        if path.is_file() and path.name.endswith(extension) and len(path.name) > len(extension)
    }
    chosen = parse_languages(languages)
    if chosen is None:
        if not available:
            raise InputFileError(
                directory,
                None,
                f"the unlabelled-data directory holds no {{lang}}{extension} file",
            )
        return available
    missing = [code for code in chosen if code not in available]
    if missing:
        raise InputFileError(
            root / f"{missing[0]}{extension}",
            None,
            f"file not found: language {missing[0]!r} is listed (XLT_UNLABELED_LANGUAGES) but "
            f"has no unlabelled file; the directory has {sorted(available) or 'none'}",
        )
    return {code: available[code] for code in chosen}


def _first_line(instance: Instance) -> Optional[int]:
    metadata = instance.fields.get("metadata")
    if metadata is None:
        return None
    values = metadata.metadata  # type: ignore[attr-defined]
    line = values.get("line", values.get("id"))
    try:
        return int(line)
    except (TypeError, ValueError):
        return None


def read_unlabeled(
    reader: DatasetReader, files: Dict[str, Path], max_per_language: Optional[int] = None
) -> List[Instance]:
    """Every file's instances (at most `max_per_language` each), with their language set."""
    instances: List[Instance] = []
    for language, path in files.items():
        count = 0
        for instance in reader.read(str(path)):
            labelled = [
                name
                for name, field in instance.fields.items()
                if isinstance(field, (LabelField, SequenceLabelField))
            ]
            if labelled:
                raise InputFileError(
                    path,
                    _first_line(instance),
                    f"has labels ({labelled[0]}): unlabelled files hold the task's inputs only,"
                    " in its stripped-test layout (pairs: two tab-separated texts; tagging: one"
                    " word per line)",
                )
            reader.apply_token_indexers(instance)
            metadata = instance.fields.get("metadata")
            if metadata is not None:
                values = metadata.metadata  # type: ignore[attr-defined]
                values["language"] = language
                # The tagger refuses to train on (and to score) a file's sentences without tags;
                # these are meant to have none, so they name their file under another key.
                if values.get("path"):
                    values["unlabeled_path"], values["path"] = values["path"], None
            instances.append(instance)
            count += 1
            if max_per_language is not None and count >= max_per_language:
                break
        if count == 0:
            raise InputFileError(path, None, "holds no input to read")
        logger.info("unlabelled %s: %d instance(s) from %s", language, count, path)
    return instances


class UnlabeledBatches:
    """
    Batches of unlabelled instances, for ever (see the module docstring).

    # Parameters

    instances : `List[Instance]`
        From `read_unlabeled`.
    vocab : `Vocabulary`
        The model's vocabulary (the instances are indexed with it).
    batch_size : `int`
    seed : `int`
        Seed of the generator that shuffles the instances (the global generators are not used,
        so the labelled training draws what it would draw without these batches).
    cuda_device : `int` or `torch.device`, optional
        Where the batches go (the model's device).
    """

    def __init__(
        self,
        instances: List[Instance],
        vocab: Vocabulary,
        batch_size: int,
        seed: int = 0,
        cuda_device: Union[int, "object"] = -1,
    ) -> None:
        if not instances:
            raise ParameterError("unlabeled_consistency", "directory", "gave no instances")
        self.instances = instances
        for instance in instances:
            instance.index_fields(vocab)
        self.batch_size = batch_size
        self.cuda_device = cuda_device
        self._random = random.Random(seed)
        self._iterator: Iterator[List[Instance]] = iter(())
        self.batches_dealt = 0

    def _passes(self) -> Iterator[List[Instance]]:
        order = list(range(len(self.instances)))
        self._random.shuffle(order)
        for start in range(0, len(order), self.batch_size):
            yield [self.instances[index] for index in order[start : start + self.batch_size]]

    def __iter__(self) -> "UnlabeledBatches":
        return self

    def __next__(self) -> TensorDict:
        group = next(self._iterator, None)
        if group is None:
            self._iterator = self._passes()
            group = next(self._iterator)
        self.batches_dealt += 1
        batch = allennlp_collate(group)
        return nn_util.move_to_device(batch, self.cuda_device)
