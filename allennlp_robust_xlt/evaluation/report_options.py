"""What the two modes of `xtreme-report` (an archive, or `--from-metrics` files) are given."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

from allennlp_robust_xlt.evaluation.attack_evaluation import ATTACKED_PREFIX
from allennlp_robust_xlt.tasks import Task

COMMAND = "xtreme-report"


@dataclass(frozen=True)
class ReportOptions:
    """The options of both modes."""

    output_dir: Path
    task: Optional[str] = None
    """The task key; by default the archive's, or guessed from the metric files' languages."""
    split: str = "test"
    languages: Optional[Sequence[str]] = None
    metric: Optional[str] = None
    """The main metric (default: the task's)."""
    source_languages: Optional[Sequence[str]] = None
    """The training languages (default: the archive's, else English)."""
    force: bool = False


@dataclass(frozen=True)
class ArchiveOptions:
    """The options of the archive mode only."""

    archive_file: str
    data_dir: str
    generalized: bool = False
    cuda_device: int = -1
    batch_size: Optional[int] = None
    overrides: str = ""
    weights_file: Optional[str] = None
    attack: Optional[Dict[str, Any]] = None
    """The parsed `--attack` JSON (`common.attack_option`)."""


def report_metrics(task: Task, metric: Optional[str], attacked: bool = False) -> List[str]:
    """
    The report's columns: the chosen metric (default: the task's), then the task's others; with
    an attack, each of the task's metrics is followed by its `attacked_` counterpart.
    """
    chosen = metric or task.metric
    names = [chosen] + [name for name in task.metrics if name != chosen]
    if not attacked:
        return names
    columns: List[str] = []
    for name in names:
        columns.append(name)
        if not name.startswith(ATTACKED_PREFIX):
            columns.append(ATTACKED_PREFIX + name)
    return list(dict.fromkeys(columns))
