"""`xtreme_alignment`: every model's alignment with English per language and layer."""

import logging
from pathlib import Path
from typing import Any, Dict, Optional, Sequence, Tuple

import torch

from allennlp_robust_xlt.analysis.alignment.attack import AlignmentAttack
from allennlp_robust_xlt.analysis.alignment.inputs import (
    ATTACKED_PREFIX,
    COMMAND,
    DEFAULT_BATCH_SIZE,
    DEFAULT_POOLING,
    DEFAULT_SPLIT,
    DEFAULT_TASK,
    LAYER_TASK,
    TATOEBA,
    ModelSpec,
    ParallelSet,
    alignment_tasks,
    choose_languages,
    parse_model_specs,
    read_parallel_sets,
)
from allennlp_robust_xlt.analysis.alignment.metrics import alignment_metrics
from allennlp_robust_xlt.analysis.alignment.report import AlignmentReport, ModelResult
from allennlp_robust_xlt.common.attack_option import parse_attack_option
from allennlp_robust_xlt.common.errors import ParameterError
from allennlp_robust_xlt.common.output_dir import check_output_dir, staged_write
from allennlp_robust_xlt.retrieval.sentence_encoder import (
    POOLINGS,
    SentenceEncoder,
    load_sentence_encoder,
)
from allennlp_robust_xlt.tasks import TASKS

logger = logging.getLogger(__name__)


def align_model(
    encoder: SentenceEncoder,
    spec: ModelSpec,
    sets: Sequence[ParallelSet],
    layer: int,
    pooling: str,
    batch_size: int,
    attack: Optional[AlignmentAttack] = None,
) -> ModelResult:
    """Every language and layer of one model."""
    result = ModelResult(spec, encoder.num_layers, layer)
    shared: Dict[Path, Tuple[torch.Tensor, Dict[int, int]]] = {}
    if attack is None:
        # Each English file once, for all its languages: the rows any of them keeps.
        for path in dict.fromkeys(parallel.english_path for parallel in sets):
            group = [parallel for parallel in sets if parallel.english_path == path]
            needed = sorted({row for parallel in group for row in parallel.rows})
            embedded = encoder.embed(
                [group[0].english[row] for row in needed], pooling=pooling, batch_size=batch_size
            )
            shared[path] = (embedded, {row: index for index, row in enumerate(needed)})
    for parallel in sets:
        logger.info("%s: %s (%d sentence pairs)", spec.name, parallel.language, parallel.size)
        foreign = encoder.embed(parallel.foreign, pooling=pooling, batch_size=batch_size)
        attacked = None
        if attack is None:
            embedded, position = shared[parallel.english_path]
            english = embedded[:, [position[row] for row in parallel.rows]]
        else:
            sentences = parallel.english_sentences()
            english = encoder.embed(sentences, pooling=pooling, batch_size=batch_size)
            attacked, norm = attack.embed(
                encoder, sentences, foreign[layer], layer, pooling, batch_size
            )
            result.perturbation_norms[parallel.language] = norm
        for index in range(encoder.num_layers + 1):
            row: Dict[str, Any] = {"language": parallel.language, "layer": index}
            row.update(alignment_metrics(english[index], foreign[index]))
            if attacked is not None:
                for name, value in alignment_metrics(attacked[index], foreign[index]).items():
                    row[ATTACKED_PREFIX + name] = value
            result.rows.append(row)
    return result


def xtreme_alignment(
    models: Sequence[str],
    data_dir: str,
    output_dir: str,
    task: str = DEFAULT_TASK,
    split: Optional[str] = None,
    pooling: str = DEFAULT_POOLING,
    languages: Optional[Sequence[str]] = None,
    layer: Optional[int] = None,
    attack: Optional[str] = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    cuda_device: int = -1,
    force: bool = False,
) -> AlignmentReport:
    """
    Measures the alignment of every model with English in every language and layer and writes
    the report (see the module docstring). Every input is checked and read before the first
    model is loaded; the files are written once every model is done.
    """
    output = Path(output_dir)
    check_output_dir(COMMAND, output, force)
    specs = parse_model_specs(models)
    if task not in alignment_tasks():
        raise ParameterError(
            COMMAND, "--task", f"must be one of {', '.join(alignment_tasks())}, got {task!r}"
        )
    chosen = TASKS[task]
    if chosen.key == TATOEBA:
        if split is not None:
            raise ParameterError(COMMAND, "--split", "does not apply to tatoeba (one test set)")
    else:
        split = split or DEFAULT_SPLIT
        chosen.file_pattern(split)  # a split without files is a ParameterError
    if pooling not in POOLINGS:
        raise ParameterError(COMMAND, "--pooling", f"must be one of {', '.join(POOLINGS)}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ParameterError(COMMAND, "--batch-size", f"must be positive, got {batch_size}")
    if layer is not None and layer < 0:
        raise ParameterError(
            COMMAND, "--layer", f"must be 0 (the embedding output) or more, got {layer}"
        )
    attack_params = parse_attack_option(COMMAND, attack)
    alignment_attack = AlignmentAttack(attack_params) if attack_params is not None else None
    root = Path(data_dir)
    if not root.is_dir():
        raise ParameterError(COMMAND, "DATA_DIR", f"{data_dir} is not a directory")
    codes = choose_languages(chosen, root, split or DEFAULT_SPLIT, languages)
    sets = read_parallel_sets(chosen, root, split or DEFAULT_SPLIT, codes)

    results = []
    for spec in specs:
        encoder = load_sentence_encoder(spec.model, cuda_device=cuda_device)
        if layer is not None:
            encoder.check_layers([layer])
        summary_layer = layer if layer is not None else encoder.default_layer(LAYER_TASK)
        logger.info("%s: %d layers, summary layer %d", spec.name, encoder.num_layers, summary_layer)
        results.append(
            align_model(encoder, spec, sets, summary_layer, pooling, batch_size, alignment_attack)
        )
        del encoder
    report = AlignmentReport(
        chosen,
        split if chosen.key != TATOEBA else None,
        pooling,
        sets,
        results,
        attack_params,
        layer,
    )
    staged_write(output, report.files)
    return report
