"""What `xtreme-compare` computes (`gains.compare_runs`) and writes (`tables`, `plots`)."""

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import numpy

from allennlp_robust_xlt.analysis import statistics
from allennlp_robust_xlt.analysis.compare.inputs import Alignment
from allennlp_robust_xlt.tasks import TASKS

ALL_TARGETS = "all targets"


@dataclass
class Cell:
    """One method on one language (or pair)."""

    key: str
    method: str
    role: str  # "source", "target" or "pair"
    values: List[float]  # per seed
    gain: float = math.nan
    ci: Tuple[float, float] = (math.nan, math.nan)
    replicates: Optional[numpy.ndarray] = None  # of the mean over seeds, shape (B,)

    @property
    def mean(self) -> float:
        return float(numpy.mean(self.values))


@dataclass
class CorrelationRow:
    method: str
    predictor: str
    quantity: str
    unit: str
    keys: List[str]
    result: statistics.Correlation
    p_holm: float = math.nan


@dataclass
class GroupRow:
    level: str
    group: str
    method: str
    languages: List[str]
    mean: float
    gain: float
    ci: Tuple[float, float]


@dataclass
class Comparison:
    task: str
    split: str
    metric: str
    reference: str
    methods: List[str]
    runs: Dict[str, List[Path]]
    interval: str
    interval_note: str
    cells: Dict[Tuple[str, str], Cell]
    languages: List[str]
    targets: List[str]
    pairs: List[str]
    groups: List[GroupRow]
    correlations: List[CorrelationRow]
    distances: List[Dict[str, Any]]
    predictor_values: Dict[str, Dict[str, Optional[float]]]
    alignment: Optional[Alignment]
    notes: List[str] = field(default_factory=list)
    settings: Dict[str, Any] = field(default_factory=dict)


def task_name(task: str) -> str:
    return TASKS[task].name if task in TASKS else task
