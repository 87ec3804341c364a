"""
Checkpoint averaging (Schmidt, Vulic and Glavas, "Free Lunch: Robust Cross-Lingual Transfer via
Model Checkpoint Averaging", ACL 2023): the logic of the `average-checkpoints` command
(`allennlp_robust_xlt/commands/average_checkpoints.py`).

Two ways to choose the weights, which combine:

* **Along a run** (`last=K`): the last `K` checkpoints AllenNLP's checkpointer left in a
  serialization directory, `model_state_e{epoch}_b{batch}.th` (AllenNLP 2.x) or
  `model_state_epoch_{n}.th` (older runs), ordered by training progress. The shared configs
  keep one checkpoint (`trainer.checkpointer.keep_most_recent_by_count: 1`); train with
  `-o '{"trainer.checkpointer.keep_most_recent_by_count": K}'` (or `null`, to keep all) to keep
  the K the average needs.
* **Across runs** (several sources): serialization directories or `model.tar.gz` archives of
  runs of one config that differ only in their seeds. Without `last`, a run contributes the
  weights its archive holds (`best.th` of a directory, `weights.th` of an archive: the
  English-dev model selection); with `last=K`, each directory contributes its last K
  checkpoints. Configs that differ in anything but a key whose name contains `seed`
  (`random_seed`, `numpy_seed`, `pytorch_seed`, an RS-DA reader's `seed`, ...), or differing
  vocabularies (label orders), are refused in one line.

Every floating-point tensor of the state dicts is averaged (in float64, then cast back to its
dtype); other tensors (integer buffers such as position ids) must agree across the checkpoints
and are kept. The result is an ordinary AllenNLP archive (the first run's `config.json`,
vocabulary and `meta.json`, with the averaged `weights.th`), which `allennlp evaluate`,
`allennlp predict` and `xtreme-report` use as any other. It is written atomically, and an
existing output is replaced only with `force`.
"""

import json
import logging
import os
import re
import shutil
import tarfile
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

import torch
from allennlp.models.archival import CONFIG_NAME, archive_model, extracted_archive

from allennlp_robust_xlt.common.errors import InputFileError, ParameterError

logger = logging.getLogger(__name__)

NAME = "average-checkpoints"
WEIGHTS_NAME = "weights.th"
BEST_NAME = "best.th"
VOCABULARY_NAME = "vocabulary"
META_NAME = "meta.json"

_MODEL_STATE = re.compile(r"^model_state_e(\d+)_b(\d+)(_w\d+)?\.th$")
_LEGACY_MODEL_STATE = re.compile(r"^model_state_epoch_(\d+)(?:\.(\d+))?\.th$")


@dataclass(frozen=True)
class RunFiles:
    """A run as the averaging sees it: its config, its vocabulary, and the weights chosen."""

    source: str  # as the user gave it
    directory: Path  # a serialization directory, or an archive's extraction
    weights: Tuple[Path, ...]


def run_checkpoints(directory: Path) -> List[Path]:
    """The run's model-state checkpoints, in the order training wrote them."""
    found: List[Tuple[Tuple[int, int], Path]] = []
    for path in directory.iterdir():
        match = _MODEL_STATE.match(path.name)
        if match:
            if match.group(3):
                raise InputFileError(
                    path,
                    None,
                    "is one worker's shard of a sharded (FairScale) checkpoint; averaging needs "
                    "whole model states",
                )
            found.append(((int(match.group(1)), int(match.group(2))), path))
            continue
        legacy = _LEGACY_MODEL_STATE.match(path.name)
        if legacy:
            # `model_state_epoch_{n}.th` is written after epoch n; `.{t}` ones within epoch n.
            within = legacy.group(2)
            order = (int(legacy.group(1)) + (0 if within else 1), int(within or 0))
            found.append((order, path))
    return [path for _, path in sorted(found)]


def _run_directory(source: str, stack: ExitStack) -> Path:
    path = Path(source)
    if path.is_dir():
        return path
    if not path.exists():
        raise InputFileError(
            source, None, "not found: expected a serialization directory or a model.tar.gz"
        )
    if not tarfile.is_tarfile(path):
        raise InputFileError(
            source, None, "is neither a serialization directory nor a model.tar.gz archive"
        )
    return Path(stack.enter_context(extracted_archive(str(path))))


def collect_runs(sources: Sequence[str], last: Optional[int], stack: ExitStack) -> List[RunFiles]:
    """Each source's directory and the weights it contributes (see the module docstring)."""
    runs: List[RunFiles] = []
    for source in sources:
        directory = _run_directory(source, stack)
        is_archive = not Path(source).is_dir()
        for needed in (CONFIG_NAME, VOCABULARY_NAME):
            if not (directory / needed).exists():
                raise InputFileError(
                    source, None, f"has no {needed}: expected an AllenNLP serialization directory"
                )
        if last is not None:
            if is_archive:
                raise ParameterError(
                    NAME,
                    "--last",
                    f"needs serialization directories; {source} is an archive, which holds one "
                    "set of weights",
                )
            checkpoints = run_checkpoints(directory)
            if len(checkpoints) < last:
                raise InputFileError(
                    source,
                    None,
                    f"has {len(checkpoints)} model_state checkpoint(s), --last asks for {last} "
                    '(train with -o \'{"trainer.checkpointer.keep_most_recent_by_count": '
                    f"{last}}}' to keep them)",
                )
            weights = tuple(checkpoints[-last:])
        else:
            name = WEIGHTS_NAME if is_archive else BEST_NAME
            if not (directory / name).is_file():
                raise InputFileError(
                    source,
                    None,
                    f"has no {name} (the model the run selected); pass --last K to average its "
                    "last K checkpoints instead",
                )
            weights = (directory / name,)
        runs.append(RunFiles(source, directory, weights))
    return runs


def _flatten(value: Any, prefix: str = "") -> Iterator[Tuple[str, Any]]:
    if isinstance(value, dict):
        for key in sorted(value):
            yield from _flatten(value[key], f"{prefix}.{key}" if prefix else str(key))
    else:
        yield prefix, value


def _is_seed_key(key: str) -> bool:
    return "seed" in key.rsplit(".", 1)[-1].lower()


def check_same_config(runs: Sequence[RunFiles]) -> None:
    """One line for the first config key (other than a seed) or vocabulary that differs."""
    first = runs[0]
    reference = dict(_flatten(json.loads((first.directory / CONFIG_NAME).read_text())))
    reference_vocabulary = _vocabulary_files(first.directory)
    for run in runs[1:]:
        config = dict(_flatten(json.loads((run.directory / CONFIG_NAME).read_text())))
        for key in sorted(set(reference) | set(config)):
            if _is_seed_key(key):
                continue
            mine, theirs = config.get(key, "(absent)"), reference.get(key, "(absent)")
            if mine != theirs:
                raise InputFileError(
                    run.source,
                    None,
                    f"its config differs from {first.source}'s at {key!r} ({mine!r} vs "
                    f"{theirs!r}): only runs of one config that differ in their seeds are "
                    "averaged",
                )
        if _vocabulary_files(run.directory) != reference_vocabulary:
            raise InputFileError(
                run.source,
                None,
                f"its vocabulary differs from {first.source}'s (labels or tokens in another "
                "order): its weights do not mean the same as theirs",
            )


def _vocabulary_files(directory: Path) -> Dict[str, bytes]:
    root = directory / VOCABULARY_NAME
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.name != ".lock"
    }


def average_state_dicts(paths: Sequence[Path]) -> Dict[str, torch.Tensor]:
    """The mean of the checkpoints' floating-point tensors (see the module docstring)."""
    if not paths:
        raise ParameterError(NAME, "sources", "gave no checkpoints to average")
    sums: Dict[str, torch.Tensor] = {}
    kept: Dict[str, torch.Tensor] = {}
    dtypes: Dict[str, torch.dtype] = {}
    first_path = paths[0]
    for index, path in enumerate(paths):
        state = torch.load(str(path), map_location="cpu")
        if not isinstance(state, dict):
            raise InputFileError(path, None, "is not a model state dict")
        if index == 0:
            dtypes = {key: tensor.dtype for key, tensor in state.items()}
        elif set(state) != set(dtypes):
            missing = sorted(set(dtypes) - set(state))
            extra = sorted(set(state) - set(dtypes))
            detail = f"lacks {missing[0]!r}" if missing else f"has the extra {extra[0]!r}"
            raise InputFileError(
                path, None, f"is another model's state: it {detail}, unlike {first_path}"
            )
        for key, tensor in state.items():
            if index and tensor.shape != sums.get(key, kept.get(key)).shape:  # type: ignore
                raise InputFileError(
                    path,
                    None,
                    f"{key!r} has shape {tuple(tensor.shape)}, {first_path} has "
                    f"{tuple(sums.get(key, kept.get(key)).shape)}",  # type: ignore[union-attr]
                )
            if tensor.is_floating_point():
                addend = tensor.detach().to(torch.float64)
                sums[key] = addend if index == 0 else sums[key] + addend
            elif index == 0:
                kept[key] = tensor
            elif not torch.equal(tensor, kept[key]):
                raise InputFileError(
                    path, None, f"its non-float tensor {key!r} differs from {first_path}'s"
                )
    count = len(paths)
    averaged = {key: (total / count).to(dtypes[key]) for key, total in sums.items()}
    return {key: averaged[key] if key in averaged else kept[key] for key in dtypes}


def average_checkpoints(
    sources: Sequence[str], output: str, last: Optional[int] = None, force: bool = False
) -> List[str]:
    """Writes the averaged archive to `output`; returns the checkpoints averaged (as shown)."""
    if not sources:
        raise ParameterError(NAME, "sources", "must name at least one run")
    if last is not None and last < 1:
        raise ParameterError(NAME, "--last", f"must be at least 1, got {last}")
    if last is None and len(sources) < 2:
        raise ParameterError(
            NAME,
            "sources",
            "names one run: pass --last K to average its last K checkpoints, or name several "
            "runs of one config",
        )
    output_path = Path(output)
    if output_path.is_dir():
        raise ParameterError(NAME, "output", f"{output} is a directory, expected a file name")
    if output_path.exists() and not force:
        raise ParameterError(NAME, "output", f"{output} exists; pass --force to replace it")
    with ExitStack() as stack:
        runs = collect_runs(sources, last, stack)
        check_same_config(runs)
        checkpoints = [path for run in runs for path in run.weights]
        shown = [
            str(path) if Path(run.source).is_dir() else f"{run.source} ({path.name})"
            for run in runs
            for path in run.weights
        ]
        averaged = average_state_dicts(checkpoints)
        staging = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="averaged-")))
        first = runs[0].directory
        shutil.copy(first / CONFIG_NAME, staging / CONFIG_NAME)
        shutil.copytree(first / VOCABULARY_NAME, staging / VOCABULARY_NAME)
        if (first / META_NAME).is_file():
            shutil.copy(first / META_NAME, staging / META_NAME)
        torch.save(averaged, staging / WEIGHTS_NAME)
        output_path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(
            prefix=f".{output_path.name}.", suffix=".tmp", dir=str(output_path.parent)
        )
        os.close(descriptor)
        try:
            archive_model(staging, weights=WEIGHTS_NAME, archive_path=temporary)
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temporary, 0o666 & ~umask)  # as a plain open() would create it
            os.replace(temporary, output_path)
        except BaseException:
            if os.path.exists(temporary):
                os.unlink(temporary)
            raise
    logger.info("averaged %d checkpoint(s) into %s", len(shown), output)
    return shown
