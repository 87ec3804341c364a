"""
QA training throughput: `allennlp train` with `training_configs/squad_baseline.jsonnet` (the
`xtreme_squad` reader and the `xtreme_transformer_qa` model) against a plain PyTorch +
transformers question-answering loop, as XTREME's `run_squad.py` trains: pre-computed windows,
`AutoModelForQuestionAnswering` (the same encoder and a linear start/end layer), AdamW (weight
decay 1e-4 but on biases and LayerNorm weights), linear schedule with warm-up, clipping at 1.0.
Same model, same windows (the plain loop's tensors are made once, before timing, from the same
reader's windows: 384 sub-words, starts 128 apart, questions cut at 64), same batches of 4
questions with all their windows, same torch thread count.

Goal: AllenNLP / plain >= 0.95.

Data: synthetic SQuAD-format questions whose contexts (fixture sentences) all have the same
number of sub-words, so that every question has the same windows and every batch the same
shape on both sides. Timing as figure 1 (`train_throughput.py`): process CPU time per optimizer
step, the two loops interleaved step by step in one process (`benchmark_batch_clock`); the
ratio is the median over step pairs of plain step / AllenNLP step, after `--warmup` steps.

    python -m benchmarks.qa_throughput [--steps 12] [--warmup 2] [--batch-size 4]
"""

import json
import random
import tempfile
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

import torch

from benchmarks.common import (
    COMPUTE_BOUND,
    FigureResult,
    figure_main,
    step_options,
    StepRatio,
    fixture_sentences,
    local_model,
)

GOAL = 0.95
MAX_LENGTH, DOC_STRIDE, MAX_QUERY_LENGTH = 384, 128, 64
CONTEXT_SUBWORDS = 600  # 3 windows per question with a 12-sub-word question
LEARNING_RATE, WEIGHT_DECAY, WARMUP = 3e-5, 1e-4, 500


def squad_file(path: Path, model: Path, questions: int, seed: int = 0) -> Path:
    """Questions of 12 sub-words on contexts of exactly CONTEXT_SUBWORDS sub-words."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(model))
    rng = random.Random(seed)
    words = " ".join(fixture_sentences()).split()
    one_piece = [w for w in set(words) if len(tokenizer.tokenize(w)) == 1]
    articles = []
    for index in range(questions):
        context_words: List[str] = []
        count = 0
        while count < CONTEXT_SUBWORDS:
            word = rng.choice(words)
            pieces = len(tokenizer.tokenize(word))
            if count + pieces > CONTEXT_SUBWORDS:
                word, pieces = rng.choice(one_piece), 1
            context_words.append(word)
            count += pieces
        context = " ".join(context_words)
        first = rng.randrange(len(context_words) - 5)
        answer = " ".join(context_words[first : first + rng.randint(1, 4)])
        start = len(" ".join(context_words[:first])) + (1 if first else 0)
        question = " ".join(rng.choice(one_piece) for _ in range(12))
        qa = {
            "id": f"q{index}",
            "question": question,
            "answers": [{"answer_start": start, "text": answer}],
        }
        articles.append({"paragraphs": [{"context": context, "qas": [qa]}]})
    path.write_text(json.dumps({"version": "1.1", "data": articles}), encoding="utf-8")
    return path


def question_tensors(model: Path, data: Path) -> List[Dict[str, torch.Tensor]]:
    """Each question's windows (ids, mask, gold start/end), made once by the same reader."""
    from allennlp_robust_xlt.rc.dataset_readers import XtremeSQuADReader

    reader = XtremeSQuADReader(
        str(model), max_length=MAX_LENGTH, doc_stride=DOC_STRIDE, max_query_length=MAX_QUERY_LENGTH
    )
    questions = []
    for instance in reader.read(str(data)):
        ids = [[token.text_id for token in window.tokens] for window in instance["windows"]]
        length = max(len(window) for window in ids)
        input_ids = torch.full((len(ids), length), reader._hf_tokenizer.pad_token_id)
        mask = torch.zeros((len(ids), length), dtype=torch.long)
        for row, window in enumerate(ids):
            input_ids[row, : len(window)] = torch.tensor(window)
            mask[row, : len(window)] = 1
        spans = instance["answer_spans"].tensor
        questions.append(
            {
                "input_ids": input_ids,
                "attention_mask": mask,
                "start": spans[:, 0],
                "end": spans[:, 1],
            }
        )
    return questions


def plain_loop(model_path: Path, data: Path, batch_size: int) -> Tuple[Callable[[], None], Any]:
    """XTREME's QA loop, set up; returns `step()` (one optimizer step) and the windows."""
    from torch.nn.utils.rnn import pad_sequence
    from transformers import AdamW, AutoModelForQuestionAnswering, get_linear_schedule_with_warmup

    questions = question_tensors(model_path, data)
    torch.manual_seed(7)
    model = AutoModelForQuestionAnswering.from_pretrained(str(model_path))
    no_decay = ("bias", "LayerNorm.weight")
    groups = [
        {
            "params": [p for n, p in model.named_parameters() if not any(d in n for d in no_decay)],
            "weight_decay": WEIGHT_DECAY,
        },
        {
            "params": [p for n, p in model.named_parameters() if any(d in n for d in no_decay)],
            "weight_decay": 0.0,
        },
    ]
    optimizer = AdamW(groups, lr=LEARNING_RATE, eps=1e-8)
    scheduler = get_linear_schedule_with_warmup(optimizer, WARMUP, 100_000)
    model.train()
    order: List[int] = []

    def step() -> None:
        if len(order) < batch_size:
            order.extend(random.sample(range(len(questions)), len(questions)))
        batch = [questions[order.pop()] for _ in range(batch_size)]

        def rows(key: str) -> torch.Tensor:
            return pad_sequence(
                [row for question in batch for row in question[key]], batch_first=True
            )

        optimizer.zero_grad()
        output = model(
            input_ids=rows("input_ids"),
            attention_mask=rows("attention_mask"),
            start_positions=torch.cat([question["start"] for question in batch]),
            end_positions=torch.cat([question["end"] for question in batch]),
        )
        output.loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()

    return step, questions


def run(steps: int = 12, warmup: int = 2, batch_size: int = 4) -> FigureResult:
    model = local_model("compute-bound-xlmr", **COMPUTE_BOUND)
    result = FigureResult(
        "1c. QA training throughput: `allennlp train` (SQuAD) vs a plain PyTorch QA loop",
        "benchmarks/qa_throughput.py",
    )
    with tempfile.TemporaryDirectory() as scratch:
        data = squad_file(Path(scratch) / "train-v1.1.json", model, (steps + warmup) * batch_size)
        plain, questions = plain_loop(model, data, batch_size)
        windows = {int(question["input_ids"].shape[0]) for question in questions}
        shapes = {tuple(question["input_ids"].shape) for question in questions}
        timing = StepRatio.measure(
            "squad_baseline.jsonnet",
            model,
            data,
            plain=plain,
            scratch=Path(scratch),
            batch_size=batch_size,
            warmup=warmup,
        )
    timing.add_row(result, "`allennlp train` squad_baseline, questions/s", batch_size, GOAL)
    result.notes.append(
        timing.note(
            f"{batch_size} questions of {sorted(windows)} window(s) each"
            f" (window shapes {sorted(shapes)})",
            warmup,
        )
    )
    return result


if __name__ == "__main__":
    figure_main(
        run, (__doc__ or "").strip().split("\n\n")[0], step_options(12, 4, "questions per step")
    )
