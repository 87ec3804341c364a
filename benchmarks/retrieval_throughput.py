"""
Retrieval figure A: sentences embedded per second by the retrieval engine
(`SentenceEncoder.embed`, as `xtreme-retrieval` and the alignment analyses use it) against a
plain `transformers` loop on the same compute-bound local model (4 layers, hidden size 256) with
the same batch size.

Sentences: Tatoeba-like, 1 to 4 fixture sentences joined, so that lengths vary as in real data.
The plain loop is what one writes by hand: `tokenizer(batch, padding=True, truncation=True,
max_length=512, return_tensors="pt")`, `model(**batch, output_hidden_states=True)`, mean
pooling of `hidden_states[layer]` over the attention mask, batches in input order. Rows: one
layer (Tatoeba, BUCC), every layer (`xtreme-alignment`: each layer pooled from the same pass),
and, as a check of the engine's own overhead, the plain loop over the same length-sorted
batches as the engine's. Goal: engine / plain >= 0.9 on each. Timing: process CPU time, the
contenders interleaved over `--rounds` rounds after a warm-up, medians.

    python -m benchmarks.retrieval_throughput [--sentences 1500] [--batch-size 32] [--rounds 3]
"""

import random
import statistics
import time
from typing import Any, Callable, Dict, List, Optional

from benchmarks.common import (
    COMPUTE_BOUND,
    FigureResult,
    figure_main,
    fixture_sentences,
    local_model,
)

GOAL = 0.9
LAYER = 3


def tatoeba_like_sentences(count: int, seed: int = 0) -> List[str]:
    rng = random.Random(seed)
    pool = fixture_sentences()
    return [" ".join(rng.choice(pool) for _ in range(rng.randint(1, 4))) for _ in range(count)]


def plain_loop(
    model: Any, tokenizer: Any, sentences: List[str], batch_size: int, layers: Optional[List[int]]
) -> Any:
    """The hand-written loop: padded batches in the given order, mean pooling per layer."""
    import torch

    outputs = []
    with torch.no_grad():
        for start in range(0, len(sentences), batch_size):
            batch = tokenizer(
                sentences[start : start + batch_size],
                padding=True,
                truncation=True,
                max_length=512,
                return_tensors="pt",
            )
            states = model(**batch, output_hidden_states=True).hidden_states
            mask = batch["attention_mask"].unsqueeze(-1).float()
            chosen = range(len(states)) if layers is None else layers
            outputs.append(torch.stack([(states[i] * mask).sum(1) / mask.sum(1) for i in chosen]))
    return torch.cat(outputs, dim=1)


def run(sentences: int = 1500, batch_size: int = 32, rounds: int = 3) -> FigureResult:
    import torch
    from transformers import AutoModel, AutoTokenizer

    from allennlp_robust_xlt.retrieval.sentence_encoder import load_sentence_encoder

    model_dir = str(local_model("compute-bound-xlmr", **COMPUTE_BOUND))
    texts = tatoeba_like_sentences(sentences)
    by_length = sorted(texts, key=lambda text: -len(text.split()))
    encoder = load_sentence_encoder(model_dir)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModel.from_pretrained(model_dir).eval()

    # The engine and the plain loop compute the same embeddings.
    torch.testing.assert_close(
        encoder.embed(texts[:64], layers=[LAYER], batch_size=batch_size),
        plain_loop(model, tokenizer, texts[:64], batch_size, [LAYER]),
        atol=1e-4,
        rtol=1e-4,
    )
    contenders: Dict[str, Callable[[], object]] = {
        "engine, one layer": lambda: encoder.embed(texts, layers=[LAYER], batch_size=batch_size),
        "plain, one layer": lambda: plain_loop(model, tokenizer, texts, batch_size, [LAYER]),
        "engine, all layers": lambda: encoder.embed(texts, batch_size=batch_size),
        "plain, all layers": lambda: plain_loop(model, tokenizer, texts, batch_size, None),
        "plain, one layer, sorted": lambda: plain_loop(
            model, tokenizer, by_length, batch_size, [LAYER]
        ),
    }
    rates: Dict[str, List[float]] = {name: [] for name in contenders}
    for round_ in range(rounds + 1):
        for name, contender in contenders.items():
            started = time.process_time()
            contender()
            if round_ > 0:  # round 0 warms up
                rates[name].append(len(texts) / (time.process_time() - started))
    rate = {name: statistics.median(values) for name, values in rates.items()}

    result = FigureResult(
        "6. Sentence-embedding throughput (retrieval)", "benchmarks/retrieval_throughput.py"
    )
    for measure, engine, plain in (
        ("engine / plain loop, one layer", "engine, one layer", "plain, one layer"),
        ("engine / plain loop, all layers", "engine, all layers", "plain, all layers"),
        ("engine / plain loop on sorted batches", "engine, one layer", "plain, one layer, sorted"),
    ):
        ratio = rate[engine] / rate[plain]
        result.add(
            measure,
            f"{rate[engine]:.1f} sent/s",
            f"plain {rate[plain]:.1f} sent/s",
            ratio,
            f">= {GOAL}",
            ratio >= GOAL,
            "process CPU",
        )
    result.notes.append(
        f"{len(texts)} sentences of 1-4 fixture sentences, batch {batch_size}, layer {LAYER} of"
        f" {encoder.num_layers}, mean pooling, {rounds} rounds."
    )
    return result


if __name__ == "__main__":
    figure_main(
        run,
        "Sentence-embedding throughput of the retrieval engine against a plain transformers loop.",
        [
            ("--sentences", {"type": int, "default": 1500}),
            ("--batch-size", {"type": int, "default": 32}),
            ("--rounds", {"type": int, "default": 3}),
        ],
    )
