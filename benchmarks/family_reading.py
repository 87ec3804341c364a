"""
Figure 6: reading and indexing throughput of the tagging, QA and multiple-choice readers against
one batched fast-tokenizer encode of the same inputs, as figure 3 measures the pair reader.

For each family, instances per CPU second of `reader.read(path)` plus
`reader.apply_token_indexers(instance)` and `instance.index_fields(vocab)` (what AllenNLP's data
loader does before batching), against encoding the same inputs with the same fast tokenizer in
batches of 1000, as the reference's scripts (and `transformers`' examples) prepare them:

- tagging (`xtreme_udpos`, `pretrained_transformer_mismatched_batched` indexer): the sentences'
  words, `tokenizer(words, is_split_into_words=True, truncation=True, max_length=128)`;
- QA (`xtreme_squad`, 384 sub-words, stride 128, questions cut at 64): `tokenizer(questions,
  contexts, truncation="only_second", max_length=384, stride=128,
  return_overflowing_tokens=True, return_offsets_mapping=True)`;
- multiple choice (`xtreme_siqa`, 128): each (context + question, answer) pair,
  `tokenizer(firsts, seconds, truncation="longest_first", max_length=128)`.

Goal: each reader at half the batched encode's rate or more (the issue's goal for the pair
reader). Each reader is also measured as it was before it read in batches (the "before" rows:
AllenNLP's `pretrained_transformer_mismatched` indexer; the QA reader's one `transformers` call
per question and per context; one text at a time through AllenNLP's tokenizer).

Data: synthetic files of the fixtures' sentences with three words of each replaced by random
fixture words (so texts are distinct, as in real data; for tagging, the replacements also get
random suffixes, so that about a quarter of the words are distinct, since the batched indexer
splits each distinct word once): sentences for tagging, paragraphs of
eight sentences with four questions each for QA (SQuAD has about five per paragraph), SIQA
records. Timing: process CPU time, all contenders interleaved over `--rounds` rounds after a
warm-up round (a garbage collection before each), medians of the rates and of the rounds'
ratios; a last profiled pass (`cProfile`) of each reader splits its time.

Memory (tagging and multiple choice, whose files are read lazily): a fresh subprocess per size
reads and indexes 40k and 400k examples without keeping them and reports its peak resident set
size, as figure 3 does for the pair reader. Goal: peak(400k) / peak(40k) < 1.2.

    python -m benchmarks.family_reading [--sentences 3000] [--questions 800] [--examples 2000]
        [--rounds 3] [--memory-lines 40000]
"""

import cProfile
import gc
import json
import pstats
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, Iterator, List, Tuple

from benchmarks.common import (
    CACHE,
    SEQUENCE_LENGTH,
    TINY,
    FigureResult,
    figure_main,
    fixture_sentences,
    local_model,
)

RATIO_GOAL = 0.5
BATCH = 1000
QA_LENGTH, QA_STRIDE, QA_QUERY = 384, 128, 64
QUESTIONS_PER_CONTEXT = 4
SENTENCES_PER_CONTEXT = 8


# -- data ------------------------------------------------------------------------------------


def _sentence_maker(seed: int, new_words: bool = False) -> Callable[[], List[str]]:
    """
    A function giving the words of a fixture sentence with three words replaced by random
    fixture words; with `new_words`, each replacement also gets a random two-letter suffix, so
    that new words keep appearing, as in real text (here about a quarter of the words are
    distinct: more than in a real corpus of this size, so the figure does not flatter the
    batched indexer, which splits each distinct word once).
    """
    rng = random.Random(seed)
    sentences = [sentence.split() for sentence in fixture_sentences()]
    words = sorted({word for sentence in sentences for word in sentence})
    letters = "abcdefghijklmnopqrstuvwxyz"

    def sentence() -> List[str]:
        chosen = list(rng.choice(sentences))
        for _ in range(3):
            word = rng.choice(words)
            if new_words:
                word += rng.choice(letters) + rng.choice(letters)
            chosen[rng.randrange(len(chosen))] = word
        return chosen

    return sentence


def _write(path: Path, parts: Iterable[str], separator: str = "") -> Path:
    """Writes `parts` (joined by `separator`) to `path` as they come, then renames it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    with partial.open("w", encoding="utf-8") as out:
        for index, part in enumerate(parts):
            out.write(separator + part if index else part)
    partial.replace(path)
    return path


def tagging_file(path: Path, count: int) -> Path:
    """`count` sentences in XTREME's UD-POS layout (`word<TAB>tag`, blank line between)."""
    if path.exists():
        return path
    sentence = _sentence_maker(1, new_words=True)
    return _write(
        path, ("".join(f"{word}\tNOUN\n" for word in sentence()) for _ in range(count)), "\n"
    )


def qa_file(path: Path, count: int) -> Path:
    """`count` questions in SQuAD's layout, four per paragraph; answers are context words."""
    if path.exists():
        return path
    sentence = _sentence_maker(2)
    rng = random.Random(2)
    paragraphs = []
    for number in range(0, count, QUESTIONS_PER_CONTEXT):
        context = " ".join(" ".join(sentence()) for _ in range(SENTENCES_PER_CONTEXT))
        qas = []
        for index in range(number, min(number + QUESTIONS_PER_CONTEXT, count)):
            words = context.split(" ")
            chosen = rng.randrange(len(words))
            start = len(" ".join(words[:chosen])) + (1 if chosen else 0)
            question = " ".join(sentence()[:8]) + "?"
            answer = {"text": words[chosen], "answer_start": start}
            qas.append({"id": f"q{index}", "question": question, "answers": [answer]})
        paragraphs.append({"context": context, "qas": qas})
    document = {"version": "1.1", "data": [{"title": "bench", "paragraphs": paragraphs}]}
    return _write(path, [json.dumps(document)])


def siqa_file(path: Path, count: int) -> Path:
    """`count` SIQA records (context, question, three answers, the right one)."""
    if path.exists():
        return path
    sentence = _sentence_maker(3)

    def lines() -> Iterator[str]:
        for index in range(count):
            record = {
                "context": " ".join(sentence()),
                "question": " ".join(sentence()[:6]) + "?",
                "answerA": " ".join(sentence()[:4]),
                "answerB": " ".join(sentence()[:5]),
                "answerC": " ".join(sentence()[:3]),
                "correct": "ABC"[index % 3],
            }
            yield json.dumps(record) + "\n"

    return _write(path, lines())


# -- readers ---------------------------------------------------------------------------------


def tagging_reader(model: str, batched: bool = True):  # type: ignore[no-untyped-def]
    """`xtreme_udpos` with the batched indexer, or AllenNLP's (`batched=False`)."""
    from allennlp.data.token_indexers import PretrainedTransformerMismatchedIndexer

    from allennlp_robust_xlt.data.token_indexers import (
        PretrainedTransformerMismatchedBatchedIndexer,
    )
    from allennlp_robust_xlt.tagging.dataset_readers import XtremeUdposReader

    indexer = (
        PretrainedTransformerMismatchedBatchedIndexer
        if batched
        else PretrainedTransformerMismatchedIndexer
    )
    return XtremeUdposReader(token_indexers={"tokens": indexer(model)})


def qa_reader(model: str, batched: bool = True):  # type: ignore[no-untyped-def]
    """`xtreme_squad` at XTREME's settings; `batched=False`: one text at a time, as it was."""
    from allennlp_robust_xlt.rc.dataset_readers import XtremeSQuADReader

    reader = XtremeSQuADReader(
        model, max_length=QA_LENGTH, doc_stride=QA_STRIDE, max_query_length=QA_QUERY
    )
    if not batched:
        from allennlp_robust_xlt.testing.qa_one_at_a_time import read_one_at_a_time

        read_one_at_a_time(reader)
    return reader


def mc_reader(model: str, batched: bool = True):  # type: ignore[no-untyped-def]
    """`xtreme_siqa` at 128; `batched=False`: one text at a time through AllenNLP."""
    from allennlp.data.token_indexers import PretrainedTransformerIndexer
    from allennlp.data.tokenizers import PretrainedTransformerTokenizer

    from allennlp_robust_xlt.mc.dataset_readers import XtremeSiqaReader

    reader = XtremeSiqaReader(
        tokenizer=PretrainedTransformerTokenizer(model, add_special_tokens=False),
        token_indexers={"tokens": PretrainedTransformerIndexer(model)},
        max_length=SEQUENCE_LENGTH,
    )
    if not batched:
        reader.batched_tokenizer = None
    return reader


# -- the batched encodes ---------------------------------------------------------------------


def tagging_encode(tokenizer: Any, path: Path) -> Callable[[], int]:
    blocks = path.read_text(encoding="utf-8").split("\n\n")
    sentences = [[line.split("\t")[0] for line in block.splitlines()] for block in blocks]

    def encode() -> int:
        for start in range(0, len(sentences), BATCH):
            tokenizer(
                sentences[start : start + BATCH],
                is_split_into_words=True,
                truncation=True,
                max_length=SEQUENCE_LENGTH,
            )
        return len(sentences)

    return encode


def qa_encode(tokenizer: Any, path: Path) -> Callable[[], int]:
    document = json.loads(path.read_text(encoding="utf-8"))
    pairs = [
        (qa["question"], paragraph["context"])
        for article in document["data"]
        for paragraph in article["paragraphs"]
        for qa in paragraph["qas"]
    ]

    def encode() -> int:
        for start in range(0, len(pairs), BATCH):
            batch = pairs[start : start + BATCH]
            tokenizer(
                [question for question, _ in batch],
                [context for _, context in batch],
                truncation="only_second",
                max_length=QA_LENGTH,
                stride=QA_STRIDE,
                return_overflowing_tokens=True,
                return_offsets_mapping=True,
            )
        return len(pairs)

    return encode


def mc_encode(tokenizer: Any, path: Path) -> Callable[[], int]:
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    pairs = [
        (f"{record['context']} {record['question']}", record[key])
        for record in records
        for key in ("answerA", "answerB", "answerC")
    ]

    def encode() -> int:
        for start in range(0, len(pairs), 3 * BATCH):
            batch = pairs[start : start + 3 * BATCH]
            tokenizer(
                [first for first, _ in batch],
                [second for _, second in batch],
                truncation="longest_first",
                max_length=SEQUENCE_LENGTH,
            )
        return len(records)

    return encode


# -- measuring -------------------------------------------------------------------------------


Prepared = Callable[[], Callable[[], int]]


def read_and_index(make: Callable[[], Any], path: Path) -> Prepared:
    """
    Prepares (untimed) a fresh reader from `make`, so that no cache of an earlier pass helps
    (the batched tagging indexer keeps the wordpieces of the words it has seen), and gives the
    pass to time: read and index every instance of `path`.
    """
    from allennlp.data import Vocabulary

    vocab = Vocabulary()
    vocab.add_tokens_to_namespace(["NOUN"], "labels")

    def prepare() -> Callable[[], int]:
        reader = make()

        def run() -> int:
            count = 0
            for instance in reader.read(str(path)):
                reader.apply_token_indexers(instance)
                instance.index_fields(vocab)
                count += 1
            return count

        return run

    return prepare


def interleaved(contenders: Dict[str, Prepared], rounds: int) -> Dict[str, List[float]]:
    """Instances per CPU second of each contender, per round, after a warm-up round."""
    rates: Dict[str, List[float]] = {name: [] for name in contenders}
    for round_ in range(rounds + 1):
        for name, prepare in contenders.items():
            contender = prepare()
            gc.collect()
            started = time.process_time()
            count = contender()
            if round_ > 0:
                rates[name].append(count / (time.process_time() - started))
    return rates


def profile_split(run: Callable[[], int], groups: Dict[str, Tuple[str, ...]]) -> Dict[str, float]:
    """
    Shares of one profiled pass's time in the functions whose `file:function` contains one of
    each group's strings (cumulative time of the outermost such calls), and the rest.
    """
    profiler = cProfile.Profile()
    profiler.enable()
    run()
    profiler.disable()
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    total = sum(inline for _, _, inline, _, _ in stats.values())
    shares: Dict[str, float] = {}
    for group, patterns in groups.items():
        # A function's cumulative time, counting only calls not made from another match.
        seconds = 0.0
        for (filename, _, function), (_, _, _, cumulative, callers) in stats.items():
            name = f"{filename}:{function}"
            if not any(pattern in name for pattern in patterns):
                continue
            nested = sum(
                values[3]
                for (caller_file, _, caller_function), values in callers.items()
                if any(p in f"{caller_file}:{caller_function}" for p in patterns)
            )
            seconds += cumulative - nested
        shares[group] = seconds / total
    shares["rest"] = max(0.0, 1.0 - sum(shares.values()))
    return shares


MEMORY_GOAL = 1.2
MEMORY_FAMILIES = {"tagging": "tagging_reader", "multiple choice": "mc_reader"}


def memory_child(family: str, model: str, path: str) -> None:
    """Run in a subprocess: read and index `path` lazily; print JSON with the memory figures."""
    import torch
    from allennlp.data import Vocabulary

    from benchmarks.common import own_peak_rss_mb
    from benchmarks.reader_throughput import current_rss_mb

    torch.set_num_threads(1)
    reader = globals()[MEMORY_FAMILIES[family]](model)
    vocab = Vocabulary()
    vocab.add_tokens_to_namespace(["NOUN"], "labels")
    count, start_rss = 0, 0.0
    for instance in reader.read(path):
        reader.apply_token_indexers(instance)
        instance.index_fields(vocab)
        count += 1
        if count == 1:
            start_rss = current_rss_mb()
    print(json.dumps({"lines": count, "start_mb": start_rss, "peak_mb": own_peak_rss_mb()}))


def memory(family: str, model: str, path: Path) -> Dict[str, float]:
    import subprocess

    from benchmarks.common import PROJECT_ROOT

    output = subprocess.run(
        [sys.executable, "-m", "benchmarks.family_reading", "--memory-child", family, model]
        + [str(path)],
        cwd=PROJECT_ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def run(
    sentences: int = 3000,
    questions: int = 800,
    examples: int = 2000,
    rounds: int = 3,
    memory_lines: int = 40_000,
) -> FigureResult:
    from transformers import AutoTokenizer

    model = str(local_model("tiny-xlmr", **TINY))
    tokenizer = AutoTokenizer.from_pretrained(model)
    data = CACHE / "reading"
    families = {
        "tagging": (
            "`xtreme_udpos` + `pretrained_transformer_mismatched_batched`",
            tagging_reader,
            tagging_file(data / f"udpos-new-words-{sentences}.tsv", sentences),
            tagging_encode,
        ),
        "QA": (
            f"`xtreme_squad` ({QA_LENGTH}/{QA_STRIDE}/{QA_QUERY})",
            qa_reader,
            qa_file(data / f"squad-{questions}.json", questions),
            qa_encode,
        ),
        "multiple choice": (
            f"`xtreme_siqa` ({SEQUENCE_LENGTH})",
            mc_reader,
            siqa_file(data / f"siqa-{examples}.jsonl", examples),
            mc_encode,
        ),
    }
    result = FigureResult(
        "3b. Reading by family: tagging, QA and multiple-choice readers vs batched fast"
        " tokenization",
        "benchmarks/family_reading.py",
    )
    splits = []
    groups = {
        "tokenizer": ("encode_batch", "_batch_encode_plus", "encode_plus"),
        "building tokens": ("_append_tokens", "intra_word_tokenize", "id_tokens"),
        "indexing": ("index_fields",),
    }
    for family, (described, make, path, encoder) in families.items():
        encode = encoder(tokenizer, path)
        contenders = {
            "batched": lambda encode=encode: encode,
            "reader": read_and_index(lambda make=make: make(model), path),
            "before": read_and_index(lambda make=make: make(model, batched=False), path),
        }
        rounds_rates = interleaved(contenders, rounds)
        rates = {name: statistics.median(values) for name, values in rounds_rates.items()}

        def ratio(name: str, anchor: str) -> float:
            return statistics.median(
                value / base for value, base in zip(rounds_rates[name], rounds_rates[anchor])
            )

        against_batched = ratio("reader", "batched")
        result.add(
            f"{family}: {described} read + indexed, instances/s",
            f"{rates['reader']:,.0f}",
            f"batched tokenizer {rates['batched']:,.0f}",
            against_batched,
            f">= {RATIO_GOAL}",
            against_batched >= RATIO_GOAL,
            "process CPU, interleaved",
        )
        speedup = ratio("reader", "before")
        result.add(
            f"{family}: batched reading vs one text at a time",
            f"{rates['reader']:,.0f}",
            f"before {rates['before']:,.0f}",
            speedup,
            "-",
            None,
            "process CPU, interleaved",
        )
        split = profile_split(contenders["reader"](), groups)
        splits.append(
            f"{family} " + ", ".join(f"{name} {share:.0%}" for name, share in split.items())
        )
    growth = []
    if memory_lines > 0:
        writers = {
            "tagging": (tagging_file, "udpos-memory-{}.tsv"),
            "multiple choice": (siqa_file, "siqa-memory-{}.jsonl"),
        }
        for family, (writer, name) in writers.items():
            sizes = (memory_lines, 10 * memory_lines)
            small, large = (
                memory(family, model, writer(data / name.format(size), size)) for size in sizes
            )
            memory_ratio = large["peak_mb"] / small["peak_mb"]
            result.add(
                f"{family}: peak RSS reading + indexing {sizes[1] // 1000}k examples",
                f"{large['peak_mb']:.0f} MiB",
                f"{sizes[0] // 1000}k examples {small['peak_mb']:.0f} MiB",
                memory_ratio,
                f"< {MEMORY_GOAL}",
                memory_ratio < MEMORY_GOAL,
                "peak RSS, subprocess",
            )
            growth.append(
                f"{family} {small['peak_mb'] - small['start_mb']:.1f} MiB for"
                f" {sizes[0] // 1000}k, {large['peak_mb'] - large['start_mb']:.1f} MiB for"
                f" {sizes[1] // 1000}k"
            )
    result.notes.append(
        f"Tiny XLM-R-style model's fast tokenizer; {sentences} sentences (tagging), {questions}"
        f" questions, {QUESTIONS_PER_CONTEXT} per paragraph of {SENTENCES_PER_CONTEXT} sentences"
        f" (QA), {examples} SIQA records (multiple choice), texts distinct; rates are medians"
        f" of {rounds} rounds after a warm-up round, ratios medians of the rounds' ratios."
        " The readers' time, from a profiled pass (profiling inflates Python-side shares): "
        + "; ".join(splits)
        + " (rest: parsing, windows, fields and instances, AllenNLP's `read`). Each pass reads"
        " with a fresh reader (no cache of an earlier pass)."
    )
    if growth:
        result.notes.append(
            "Memory growth while reading lazily (peak minus the size after the first instance;"
            " the tagging indexer's word cache is capped at 100k words): "
            + "; ".join(growth)
            + ". The QA readers load a SQuAD-format JSON file whole (one JSON document), so"
            " their memory grows with the file."
        )
    return result


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--memory-child":
        memory_child(sys.argv[2], sys.argv[3], sys.argv[4])
        sys.exit(0)
    figure_main(
        run,
        (__doc__ or "").strip().split("\n\n")[0],
        [
            ("--sentences", dict(type=int, default=3000, help="tagging sentences")),
            ("--questions", dict(type=int, default=800, help="QA questions")),
            ("--examples", dict(type=int, default=2000, help="SIQA records")),
            ("--rounds", dict(type=int, default=3, help="measured rounds, after a warm-up")),
            (
                "--memory-lines",
                dict(
                    type=int,
                    default=40_000,
                    help="the smaller file of the memory rows (the larger: 10x; 0: none)",
                ),
            ),
        ],
    )
