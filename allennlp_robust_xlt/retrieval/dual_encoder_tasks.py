"""
LAReQA and Mewsli-X in `xtreme-retrieval` (`xtreme_retrieval.py` calls these): their inputs read
and checked before the model is loaded, then every language scored with one encoder (a trained
`xtreme_dual_encoder` archive, or any model the sentence encoder loads, for a zero-shot
baseline). The default layer is the encoder's last (what the dual encoder is trained on), the
default pooling the task table's (the configs train with it); the texts are cut to the table's
sub-word limits, not `--max-length`. LAReQA's candidates are the sentences of every XQuAD-R
file present, whatever `--languages` reports.
"""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Union

from allennlp_robust_xlt.common.errors import InputFileError
from allennlp_robust_xlt.retrieval.lareqa import XquadR, evaluate_lareqa, read_xquad_r
from allennlp_robust_xlt.retrieval.mewslix import (
    Mentions,
    evaluate_mewslix,
    read_candidates,
    read_mentions,
)
from allennlp_robust_xlt.retrieval.sentence_encoder import SentenceEncoder
from allennlp_robust_xlt.tasks import TASKS

DUAL_ENCODER_TASKS = ("lareqa", "mewslix")
SPLITS = {"lareqa": ("test",), "mewslix": ("dev", "test")}
"""The splits of each task (XQuAD-R has one; Mewsli-X's test gold is in `wikinews_labels`)."""


def _mentions_path(directory: Path, split: str, language: str) -> Path:
    pattern = str(TASKS["mewslix"].retrieval["mentions"])
    return directory / pattern.replace("{split}", split).replace("{lang}", language)


def _labels_path(directory: Path, split: str, language: str) -> Path:
    pattern = str(TASKS["mewslix"].retrieval["labels"])
    return directory / pattern.replace("{split}", split).replace("{lang}", language)


def available_languages(task: str, directory: Path, split: str) -> List[str]:
    """The task's languages with an evaluation file in `directory`."""
    if task == "lareqa":
        return [
            code
            for code in TASKS[task].languages
            if TASKS[task].file_path(directory, "test", code).is_file()
        ]
    return [
        code for code in TASKS[task].languages if _mentions_path(directory, split, code).is_file()
    ]


@dataclass
class MewslixInputs:
    candidate_ids: List[str]
    candidate_texts: List[str]
    mentions: Dict[str, Mentions]


Inputs = Union[XquadR, MewslixInputs]


def read_inputs(task: str, directory: Path, languages: Sequence[str], split: str) -> Inputs:
    if task == "lareqa":
        # The pool holds every language present, whichever languages are reported.
        pooled = available_languages(task, directory, split)
        files = {code: str(TASKS[task].file_path(directory, "test", code)) for code in pooled}
        return read_xquad_r(files)
    candidates = directory / str(TASKS[task].retrieval["candidates"])
    if not candidates.is_file():
        raise InputFileError(
            candidates, None, "not found: the entities mentions are ranked against"
        )
    ids, texts = read_candidates(str(candidates))
    mentions = {}
    for code in languages:
        labels = _labels_path(directory, split, code)
        mentions[code] = read_mentions(
            str(_mentions_path(directory, split, code)),
            ids,
            str(labels) if labels.is_file() else None,
        )
    return MewslixInputs(ids, texts, mentions)


def evaluate(
    task: str,
    encoder: SentenceEncoder,
    inputs: Inputs,
    languages: Sequence[str],
    layer: int,
    pooling: str,
    batch_size: int,
) -> List[Tuple[str, Dict[str, Optional[float]], int, List[str]]]:
    """`(language, metrics, size, prediction lines)` of each language."""
    results = []
    if isinstance(inputs, XquadR):
        lareqa = evaluate_lareqa(encoder, inputs, languages, layer, pooling, batch_size)
        for code in languages:
            # XTREME's uids: a question's `{id}_{lang}`, then its ranked candidates.
            lines = [
                "\t".join([f"{qid}_{code}"] + [inputs.candidate_ids[i] for i in ranked])
                for qid, lang, ranked in zip(
                    inputs.question_ids, inputs.question_languages, lareqa.ranked
                )
                if lang == code
            ]
            metrics: Dict[str, Optional[float]] = dict(lareqa.metrics[code])
            results.append((code, metrics, lareqa.sizes[code], lines))
        return results
    mewslix = evaluate_mewslix(
        encoder,
        inputs.candidate_ids,
        inputs.candidate_texts,
        inputs.mentions,
        layer,
        pooling,
        batch_size,
    )
    for code in languages:
        # XTREME's prediction file: {example_id: [the 20 best entity ids]}.
        text = json.dumps(mewslix.predictions[code], ensure_ascii=False, indent=1)
        metrics = dict(mewslix.metrics[code])
        results.append((code, metrics, mewslix.sizes[code], text.splitlines()))
    return results
