"""
A synthetic cross-lingual benchmark that simulates the paper's mechanism on a CPU.

The thesis of Huang et al. (2021): a multilingual encoder maps a target-language sentence near,
but not onto, its source-language counterpart, and a classifier trained to tolerate noise in the
embedding space transfers better, more so as the languages grow apart. This module builds a
world where that misalignment is known and set by hand:

* a source language (`en`) of pseudo-words, grouped into synonym groups whose members have
  nearby embeddings (distance `synonym_distance`), with a neighbour table in the reference's
  JSON format (`{word: [synonyms]}`) so that RS-DA applies;
* a paraphrase task in PAWS-X's format (labels `1`/`0`): sentence 2 is sentence 1 with a few
  adjacent words swapped (paraphrase, `1`) or with one or two words replaced by unrelated words
  (not a paraphrase, `0`); balanced labels;
* target languages at increasing misalignment `m`: every source word has its own target word
  (its own token), whose embedding is the source word's embedding plus a fixed random offset of
  norm `m` (word embeddings have norm 1; synonyms are `synonym_distance` apart);
* a tiny BERT-style encoder saved as a local model directory whose word-embedding table holds
  exactly these vectors (whole words are single tokens), randomly initialised elsewhere.

`write_benchmark` writes XTREME's layout (`pawsx/train-en.tsv`, `dev-en.tsv`,
`test-{lang}.tsv`, parallel test sets line by line), `neighbors.json`, `encoder/` and
`languages.json` (code -> misalignment). Target languages use ISO 639's codes for local use
(`qaa`, `qab`, ...). Everything is determined by the seed.

This is a simulation of the mechanism, not a reproduction of the paper's XNLI/PAWS-X numbers.
"""

import json
import string
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch

SOURCE_LANGUAGE = "en"
_SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]


@dataclass
class SyntheticXltConfig:
    """Sizes of the benchmark; the defaults run the demo's four methods in minutes on 2 cores."""

    seed: int = 0
    num_groups: int = 160
    max_group_size: int = 3
    misalignments: Sequence[float] = (0.0, 0.5, 1.0, 1.5, 2.0)
    synonym_distance: float = 0.5
    hidden_size: int = 64
    num_hidden_layers: int = 2
    num_attention_heads: int = 4
    intermediate_size: int = 128
    min_words: int = 4
    max_words: int = 6
    train_size: int = 4000
    dev_size: int = 500
    test_size: int = 500

    def target_codes(self) -> List[str]:
        return [f"qa{letter}" for letter in string.ascii_lowercase[: len(self.misalignments)]]


def _pseudo_words(rng: np.random.Generator, count: int, taken: set) -> List[str]:
    words: List[str] = []
    while len(words) < count:
        word = "".join(rng.choice(_SYLLABLES, size=int(rng.integers(2, 4))))
        if word not in taken:
            taken.add(word)
            words.append(word)
    return words


def _unit(rng: np.random.Generator, rows: int, dim: int) -> np.ndarray:
    vectors = rng.standard_normal((rows, dim))
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


class SyntheticXlt:
    """The generated world: vocabularies, embeddings and the pair task."""

    def __init__(self, config: SyntheticXltConfig) -> None:
        self.config = config
        rng = np.random.default_rng(config.seed)
        taken: set = set()
        sizes = rng.integers(1, config.max_group_size + 1, size=config.num_groups)
        self.groups: List[List[str]] = [_pseudo_words(rng, int(size), taken) for size in sizes]
        self.source_words: List[str] = [word for group in self.groups for word in group]
        self.group_of: Dict[str, int] = {w: g for g, group in enumerate(self.groups) for w in group}
        dim = config.hidden_size
        # Group centres of norm ~1, members synonym_distance apart (offsets of norm d / sqrt 2
        # in independent directions), all rescaled to norm 1.
        centres = _unit(rng, config.num_groups, dim)
        offsets = _unit(rng, len(self.source_words), dim) * (config.synonym_distance / np.sqrt(2))
        vectors = np.stack([centres[self.group_of[w]] for w in self.source_words]) + offsets
        self.source_vectors = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
        self.targets: Dict[str, Dict[str, str]] = {}
        self.target_vectors: Dict[str, np.ndarray] = {}
        self.misalignment: Dict[str, float] = {SOURCE_LANGUAGE: 0.0}
        for code, distance in zip(config.target_codes(), config.misalignments):
            words = _pseudo_words(rng, len(self.source_words), taken)
            self.targets[code] = dict(zip(self.source_words, words))
            self.target_vectors[code] = self.source_vectors + distance * _unit(
                rng, len(self.source_words), dim
            )
            self.misalignment[code] = float(distance)
        self.languages = [SOURCE_LANGUAGE] + list(self.targets)
        self._rng = rng

    # -- the task -------------------------------------------------------------------------------

    def neighbors(self) -> Dict[str, List[str]]:
        return {w: [o for o in self.groups[self.group_of[w]] if o != w] for w in self.source_words}

    def _pair(self, rng: np.random.Generator, label: int) -> Tuple[List[str], List[str]]:
        length = int(rng.integers(self.config.min_words, self.config.max_words + 1))
        group_ids = rng.choice(len(self.groups), size=length, replace=False)
        first = [self.groups[g][int(rng.integers(len(self.groups[g])))] for g in group_ids]
        second = list(first)
        # Word-order noise in both classes, so that order alone says nothing.
        for _ in range(int(rng.integers(0, 2))):
            i = int(rng.integers(0, length - 1))
            second[i], second[i + 1] = second[i + 1], second[i]
        if label == 0:
            unused = [g for g in range(len(self.groups)) if g not in set(group_ids.tolist())]
            for position in rng.choice(length, size=int(rng.integers(2, 4)), replace=False):
                group = self.groups[int(rng.choice(unused))]
                second[int(position)] = group[int(rng.integers(len(group)))]
        return first, second

    def pairs(self, count: int, seed_offset: int) -> List[Tuple[List[str], List[str], int]]:
        rng = np.random.default_rng([self.config.seed, seed_offset])
        labels = np.array([index % 2 for index in range(count)])
        rng.shuffle(labels)
        return [(*self._pair(rng, int(label)), int(label)) for label in labels]

    def translate(self, words: Sequence[str], language: str) -> List[str]:
        if language == SOURCE_LANGUAGE:
            return list(words)
        return [self.targets[language][word] for word in words]

    # -- the encoder -----------------------------------------------------------------------------

    def vocabulary(self) -> List[str]:
        special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
        # AllenNLP probes tokenizers with "a", "b", "1", "2".
        probes = list(string.ascii_lowercase + string.digits)
        words = self.source_words + [
            w for code in self.targets for w in self.targets[code].values()
        ]
        return special + probes + words

    def save_encoder(self, output_dir: Path) -> None:
        from transformers import BertConfig, BertModel, BertTokenizerFast

        output_dir.mkdir(parents=True, exist_ok=True)
        vocab = self.vocabulary()
        (output_dir / "vocab.txt").write_text(
            "".join(f"{token}\n" for token in vocab), encoding="utf-8"
        )
        max_length = 2 * self.config.max_words + 8
        tokenizer = BertTokenizerFast(
            vocab_file=str(output_dir / "vocab.txt"),
            do_lower_case=False,
            model_max_length=max_length,
        )
        tokenizer.save_pretrained(str(output_dir))
        config = BertConfig(
            vocab_size=len(vocab),
            hidden_size=self.config.hidden_size,
            num_hidden_layers=self.config.num_hidden_layers,
            num_attention_heads=self.config.num_attention_heads,
            intermediate_size=self.config.intermediate_size,
            max_position_embeddings=max_length,
            type_vocab_size=2,
        )
        generator_state = torch.random.get_rng_state()
        try:
            torch.manual_seed(self.config.seed)
            model = BertModel(config, add_pooling_layer=False)  # the classifiers pool themselves
        finally:
            torch.random.set_rng_state(generator_state)
        index = {token: i for i, token in enumerate(vocab)}
        table = model.embeddings.word_embeddings.weight.data
        with torch.no_grad():
            rows = [index[w] for w in self.source_words]
            table[rows] = torch.tensor(self.source_vectors, dtype=table.dtype)
            for code, mapping in self.targets.items():
                rows = [index[mapping[w]] for w in self.source_words]
                table[rows] = torch.tensor(self.target_vectors[code], dtype=table.dtype)
        model.save_pretrained(str(output_dir))


def _write_pairs(
    path: Path, rows: Sequence[Tuple[List[str], List[str], int]], world: SyntheticXlt, language: str
) -> None:
    with open(path, "w", encoding="utf-8") as out:
        for first, second, label in rows:
            translated = (" ".join(world.translate(words, language)) for words in (first, second))
            out.write("\t".join([*translated, str(label)]) + "\n")


def write_benchmark(output_dir: Path, config: SyntheticXltConfig) -> SyntheticXlt:
    """Writes the benchmark to `output_dir` (which must not hold one already) and returns it."""
    world = SyntheticXlt(config)
    task_dir = output_dir / "pawsx"
    task_dir.mkdir(parents=True, exist_ok=True)
    _write_pairs(
        task_dir / "train-en.tsv", world.pairs(config.train_size, 1), world, SOURCE_LANGUAGE
    )
    _write_pairs(task_dir / "dev-en.tsv", world.pairs(config.dev_size, 2), world, SOURCE_LANGUAGE)
    test = world.pairs(config.test_size, 3)
    for language in world.languages:
        _write_pairs(task_dir / f"test-{language}.tsv", test, world, language)
    (output_dir / "neighbors.json").write_text(
        json.dumps(world.neighbors(), indent=0), encoding="utf-8"
    )
    world.save_encoder(output_dir / "encoder")
    description = {
        "config": asdict(config),
        "languages": world.languages,
        "misalignment": world.misalignment,
    }
    (output_dir / "languages.json").write_text(json.dumps(description, indent=2), encoding="utf-8")
    # Names and a family for reports (`common/languages.py`, `load_language_file`).
    rows = [
        f"{code}\tSynthetic {code[2:].upper()} (misalignment {world.misalignment[code]})"
        "\tSynthetic\tSimulated\tLatin\n"
        for code in world.targets
    ]
    (output_dir / "languages.tsv").write_text("".join(rows), encoding="utf-8")
    return world


def main(argv: Optional[Sequence[str]] = None) -> None:
    """`python -m allennlp_robust_xlt.data.synthetic_xlt OUTPUT_DIR [--seed N] [--train-size N] ...`"""
    import argparse

    defaults = SyntheticXltConfig()
    parser = argparse.ArgumentParser(
        description="Write the synthetic cross-lingual benchmark (XTREME layout)."
    )
    parser.add_argument("output_dir", type=Path)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--train-size", type=int, default=defaults.train_size)
    parser.add_argument("--test-size", type=int, default=defaults.test_size)
    parser.add_argument(
        "--misalignments", type=float, nargs="+", default=list(defaults.misalignments)
    )
    parser.add_argument("--force", action="store_true", help="write into a non-empty OUTPUT_DIR")
    args = parser.parse_args(argv)
    if args.output_dir.exists() and any(args.output_dir.iterdir()) and not args.force:
        raise SystemExit(f"{args.output_dir} is not empty; use --force to write into it")
    config = SyntheticXltConfig(
        seed=args.seed,
        train_size=args.train_size,
        test_size=args.test_size,
        misalignments=tuple(args.misalignments),
    )
    world = write_benchmark(args.output_dir, config)
    print(
        f"{args.output_dir}: languages"
        f" {' '.join(f'{code} ({world.misalignment[code]})' for code in world.languages)}"
    )


if __name__ == "__main__":
    main()
