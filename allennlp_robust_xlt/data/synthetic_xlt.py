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
  (its own token), whose embedding is its parent language's embedding of the word (English's by
  default) plus a fixed offset of norm `m` (word embeddings have norm 1; synonyms are
  `synonym_distance` apart). The offset's direction is set by the language's *synonym-ward
  share* `s` (`synonym_shares`): its component along the direction from the English word to one
  of its English synonyms (the same synonym for every language, drawn once per word) is `s * m`,
  the rest (norm `m * sqrt(1 - s^2)`) is random, orthogonal to it. `s = 0` is a random direction
  (the draws of the original benchmark, unchanged: same seed, same bytes); `s = 1` moves the
  translation straight towards a synonym (the premise of RS-DA: a translation lands near the
  synonyms of the English word); words without synonyms keep a random direction;
* `text_synonyms=False`: every text (English and its translations) uses only the first member
  of each synonym group (its head), so that the other members, and the neighbourhood a
  translation lands in, are seen in training only through RS-DA's substitutions (in the default
  world the English texts draw every member, so the training data already covers the synonyms);
* language families (`parents`): a target language may derive from an earlier one, inheriting
  its offsets and adding its own, so that family averages and distances from English mean
  something (its family is its top ancestor below English);
* a token-level task in UD-POS's layout (`udpos/`, `word<TAB>tag`, a blank line between
  sentences): each synonym group has a class (0..3), and a word's tag is `TAGGING_LABELS[class]`,
  shifted to the next label when the previous word's class is 0, so a tag depends on the word's
  synonym group and its left neighbour (a tiny encoder from random weights learns it in the
  demo's budget; the sum of both classes mod 4 it did not); the same sentences in every
  language;
* a tiny BERT-style encoder saved as a local model directory whose word-embedding table holds
  exactly these vectors (whole words are single tokens), randomly initialised elsewhere.

`write_benchmark` writes XTREME's layout (`pawsx/train-en.tsv`, `dev-en.tsv`,
`test-{lang}.tsv`, parallel test sets line by line; `udpos/` the same), `neighbors.json`,
`encoder/`, `languages.json` (the config, code -> misalignment), `distances.csv` (the known
misalignment per language, `language,distance_name,value[,note]`, which `xtreme-compare
--distances` reads; `DISTANCE_NAMES`), `languages.tsv` (names and families for reports) and
`families.csv` (`language,family,genus`, for `xtreme-compare --families`); with `unlabeled_size`,
`unlabeled/{pawsx,udpos}/{lang}.tsv`, label-free target-language inputs drawn apart from the
labelled splits (for the configs' `XLT_UNLABELED_DATA`). Target languages use
ISO 639's codes for local use (`qaa`, `qab`, ...). Everything is determined by the seed.

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
# TASK TABLE: the UD-POS tags the token-level task uses (a group's class indexes them).
TAGGING_LABELS = ("NOUN", "VERB", "ADJ", "ADV")
# The distances `distances.csv` holds, each from English (the note column says the same).
DISTANCE_NAMES = {
    "misalignment": "mean embedding distance of a word's translation from the English word",
    "own_offset": "norm of the offset the language adds to its parent's embeddings",
    "synonym_share": "share of the language's own offset pointing towards an English synonym",
    "synonym_gap": (
        "mean distance of a translation from the nearest English synonym of its word"
        " (words with synonyms)"
    ),
}
# `allennlp train` overrides under which the project's configs learn this world's tasks on a CPU:
# the synthetic encoder's word-embedding table frozen (so the misalignment stays what the world
# set; fine-tuning would move the English rows away from the never-seen target rows), no gradient
# accumulation, lr 1e-3 (the encoder starts from random weights), batches of 32, 20 epochs.
TRAINING_OVERRIDES = {
    "trainer.num_epochs": 20,
    "trainer.num_gradient_accumulation_steps": 1,
    "trainer.optimizer.lr": 1e-3,
    "trainer.optimizer.parameter_groups": [[[".*word_embeddings.*"], {"requires_grad": False}]],
    "data_loader.batch_sampler.batch_size": 32,
}
_SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]


@dataclass
class SyntheticXltConfig:
    """Sizes of the benchmark; the defaults run the demo's four methods in minutes on 2 cores."""

    seed: int = 0
    num_groups: int = 160
    max_group_size: int = 3
    misalignments: Sequence[float] = (0.0, 0.5, 1.0, 1.5, 2.0)
    # One per target language, or empty for all 0 (random directions, the original benchmark).
    synonym_shares: Sequence[float] = ()
    # One per target language ("en" or an earlier target's code), or empty for all "en".
    parents: Sequence[str] = ()
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
    # False: the texts use only each group's first member (its head); the other members exist
    # only in the embedding space and the neighbour table (the draws are the same either way).
    text_synonyms: bool = True
    # The token-level task (`udpos/`); 0 sentences of training data: not written.
    tagging_train_size: int = 0
    tagging_dev_size: int = 200
    tagging_test_size: int = 300
    # Unlabelled inputs per target language (`unlabeled/{pawsx,udpos}/{lang}.tsv`, the tasks'
    # stripped-test layouts), drawn apart from every labelled split; 0: not written.
    unlabeled_size: int = 0

    def target_codes(self) -> List[str]:
        return [f"qa{letter}" for letter in string.ascii_lowercase[: len(self.misalignments)]]

    def shares(self) -> List[float]:
        return [float(s) for s in self.synonym_shares] or [0.0] * len(self.misalignments)

    def parent_codes(self) -> List[str]:
        return list(self.parents) or [SOURCE_LANGUAGE] * len(self.misalignments)

    def check(self) -> None:
        """A `ParameterError` naming the first inconsistent parameter."""
        from allennlp_robust_xlt.common.errors import ParameterError

        codes = self.target_codes()
        if len(self.misalignments) > len(string.ascii_lowercase):
            raise ParameterError("synthetic_xlt", "misalignments", "at most 26 target languages")
        for name in ("synonym_shares", "parents"):
            given = getattr(self, name)
            if given and len(given) != len(codes):
                raise ParameterError(
                    "synthetic_xlt",
                    name,
                    f"has {len(given)} values for {len(codes)} target languages",
                )
        for code, share in zip(codes, self.shares()):
            if not 0.0 <= share <= 1.0:
                raise ParameterError(
                    "synthetic_xlt", "synonym_shares", f"{code}: {share} is not in [0, 1]"
                )
        for index, (code, parent) in enumerate(zip(codes, self.parent_codes())):
            if parent != SOURCE_LANGUAGE and parent not in codes[:index]:
                raise ParameterError(
                    "synthetic_xlt",
                    "parents",
                    f"{code}: parent {parent!r} is neither {SOURCE_LANGUAGE} nor an earlier target"
                    f" ({' '.join(codes[:index]) or 'none'})",
                )


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
        config.check()
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
        # One English synonym per word (from its own generator, so that the draws above and below
        # are the original benchmark's), and the unit direction towards it; None without one.
        synonym_rng = np.random.default_rng([config.seed, 7])
        index = {w: i for i, w in enumerate(self.source_words)}
        self.synonym_of: Dict[str, Optional[str]] = {}
        for word in self.source_words:
            others = [o for o in self.groups[self.group_of[word]] if o != word]
            self.synonym_of[word] = (
                others[int(synonym_rng.integers(len(others)))] if others else None
            )
        towards = np.zeros_like(self.source_vectors)
        self._has_synonym = np.array([self.synonym_of[w] is not None for w in self.source_words])
        for i, word in enumerate(self.source_words):
            if self.synonym_of[word] is not None:
                step = self.source_vectors[index[self.synonym_of[word]]] - self.source_vectors[i]
                towards[i] = step / np.linalg.norm(step)
        self.targets: Dict[str, Dict[str, str]] = {}
        self.target_vectors: Dict[str, np.ndarray] = {}
        self.misalignment: Dict[str, float] = {SOURCE_LANGUAGE: 0.0}
        self.parent: Dict[str, str] = {}
        self.own_offset: Dict[str, float] = {}
        self.synonym_share: Dict[str, float] = {}
        for code, distance, share, parent in zip(
            config.target_codes(), config.misalignments, config.shares(), config.parent_codes()
        ):
            words = _pseudo_words(rng, len(self.source_words), taken)
            self.targets[code] = dict(zip(self.source_words, words))
            base = self.source_vectors if parent == SOURCE_LANGUAGE else self.target_vectors[parent]
            self.target_vectors[code] = base + distance * _direction(
                _unit(rng, len(self.source_words), dim), towards, self._has_synonym, share
            )
            self.parent[code] = parent
            self.own_offset[code] = float(distance)
            self.synonym_share[code] = share
            if parent == SOURCE_LANGUAGE:
                self.misalignment[code] = float(distance)
            else:
                gap = np.linalg.norm(self.target_vectors[code] - self.source_vectors, axis=1)
                self.misalignment[code] = round(float(gap.mean()), 6)
        self.languages = [SOURCE_LANGUAGE] + list(self.targets)
        self._rng = rng

    def family(self, code: str) -> str:
        """The top ancestor below English (itself for a language derived from English)."""
        while self.parent.get(code, SOURCE_LANGUAGE) != SOURCE_LANGUAGE:
            code = self.parent[code]
        return code

    def synonym_gap(self, code: str) -> Optional[float]:
        """Mean distance of `code`'s words (with synonyms) from their nearest English synonym."""
        vectors = self.source_vectors if code == SOURCE_LANGUAGE else self.target_vectors[code]
        index = {w: i for i, w in enumerate(self.source_words)}
        gaps = []
        for i, word in enumerate(self.source_words):
            others = [index[o] for o in self.groups[self.group_of[word]] if o != word]
            if others:
                gaps.append(np.linalg.norm(self.source_vectors[others] - vectors[i], axis=1).min())
        return float(np.mean(gaps)) if gaps else None

    def distance_rows(self) -> List[Tuple[str, str, Optional[float]]]:
        """`(language, distance_name, value)` for every language and `DISTANCE_NAMES` entry."""
        rows: List[Tuple[str, str, Optional[float]]] = []
        for code in self.languages:
            values = {
                "misalignment": self.misalignment[code],
                "own_offset": self.own_offset.get(code, 0.0),
                "synonym_share": self.synonym_share.get(code, 0.0),
                "synonym_gap": self.synonym_gap(code),
            }
            rows.extend((code, name, values[name]) for name in DISTANCE_NAMES)
        return rows

    # -- the task -------------------------------------------------------------------------------

    def neighbors(self) -> Dict[str, List[str]]:
        return {w: [o for o in self.groups[self.group_of[w]] if o != w] for w in self.source_words}

    def _pair(self, rng: np.random.Generator, label: int) -> Tuple[List[str], List[str]]:
        length = int(rng.integers(self.config.min_words, self.config.max_words + 1))
        group_ids = rng.choice(len(self.groups), size=length, replace=False)
        first = [self._member(g, int(rng.integers(len(self.groups[g])))) for g in group_ids]
        second = list(first)
        # Word-order noise in both classes, so that order alone says nothing.
        for _ in range(int(rng.integers(0, 2))):
            i = int(rng.integers(0, length - 1))
            second[i], second[i + 1] = second[i + 1], second[i]
        if label == 0:
            unused = [g for g in range(len(self.groups)) if g not in set(group_ids.tolist())]
            for position in rng.choice(length, size=int(rng.integers(2, 4)), replace=False):
                group_id = int(rng.choice(unused))
                second[int(position)] = self._member(
                    group_id, int(rng.integers(len(self.groups[group_id])))
                )
        return first, second

    def _member(self, group: int, drawn: int) -> str:
        """The word a sentence uses for a group: the drawn member, or the head (`text_synonyms`)."""
        return self.groups[group][drawn if self.config.text_synonyms else 0]

    def pairs(self, count: int, seed_offset: int) -> List[Tuple[List[str], List[str], int]]:
        rng = np.random.default_rng([self.config.seed, seed_offset])
        labels = np.array([index % 2 for index in range(count)])
        rng.shuffle(labels)
        return [(*self._pair(rng, int(label)), int(label)) for label in labels]

    def group_class(self, word: str) -> int:
        """The class (0..3) of a word's synonym group, which the tagging task's tags depend on."""
        return self.group_of[word] % len(TAGGING_LABELS)

    def tagged_sentences(self, count: int, seed_offset: int) -> List[Tuple[List[str], List[str]]]:
        """English sentences of the token-level task, with a tag per word (module docstring)."""
        rng = np.random.default_rng([self.config.seed, seed_offset])
        sentences = []
        for _ in range(count):
            length = int(rng.integers(self.config.min_words, self.config.max_words + 1))
            group_ids = rng.choice(len(self.groups), size=length, replace=False)
            words = [self._member(g, int(rng.integers(len(self.groups[g])))) for g in group_ids]
            classes = [self.group_class(w) for w in words]
            tags = [
                TAGGING_LABELS[(c + (1 if i and classes[i - 1] == 0 else 0)) % len(TAGGING_LABELS)]
                for i, c in enumerate(classes)
            ]
            sentences.append((words, tags))
        return sentences

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


def _direction(
    random: np.ndarray, towards: np.ndarray, has_synonym: np.ndarray, share: float
) -> np.ndarray:
    """
    Unit offset directions: `share` of each (cosine with `towards`) towards the word's synonym,
    the rest along the random direction made orthogonal to it. Share 0 returns `random` itself.
    """
    if share == 0.0:
        return random
    along = np.sum(random * towards, axis=1, keepdims=True) * towards
    orthogonal = random - along
    orthogonal /= np.linalg.norm(orthogonal, axis=1, keepdims=True)
    mixed = share * towards + np.sqrt(1.0 - share**2) * orthogonal
    return np.where(has_synonym[:, None], mixed, random)


def _write_tagged(
    path: Path, rows: Sequence[Tuple[List[str], List[str]]], world: SyntheticXlt, language: str
) -> None:
    with open(path, "w", encoding="utf-8") as out:
        for words, tags in rows:
            for word, tag in zip(world.translate(words, language), tags):
                out.write(f"{word}\t{tag}\n")
            out.write("\n")


def _write_pairs(
    path: Path, rows: Sequence[Tuple[List[str], List[str], int]], world: SyntheticXlt, language: str
) -> None:
    with open(path, "w", encoding="utf-8") as out:
        for first, second, label in rows:
            translated = (" ".join(world.translate(words, language)) for words in (first, second))
            out.write("\t".join([*translated, str(label)]) + "\n")


def _write_unlabeled(directory: Path, world: "SyntheticXlt", config: SyntheticXltConfig) -> None:
    """Label-free inputs of every target language: new draws, not translations of labelled ones."""
    (directory / "pawsx").mkdir(parents=True, exist_ok=True)
    for index, language in enumerate(world.targets):
        pairs = world.pairs(config.unlabeled_size, 100 + index)
        with open(directory / "pawsx" / f"{language}.tsv", "w", encoding="utf-8") as out:
            for first, second, _ in pairs:
                out.write(
                    "\t".join(" ".join(world.translate(w, language)) for w in (first, second))
                )
                out.write("\n")
        if config.tagging_train_size:
            (directory / "udpos").mkdir(parents=True, exist_ok=True)
            sentences = world.tagged_sentences(config.unlabeled_size, 200 + index)
            with open(directory / "udpos" / f"{language}.tsv", "w", encoding="utf-8") as out:
                for words, _ in sentences:
                    out.write("".join(f"{word}\n" for word in world.translate(words, language)))
                    out.write("\n")


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
    if config.tagging_train_size:
        tagging_dir = output_dir / "udpos"
        tagging_dir.mkdir(parents=True, exist_ok=True)
        for split, size, offset in (
            ("train", config.tagging_train_size, 11),
            ("dev", config.tagging_dev_size, 12),
        ):
            _write_tagged(
                tagging_dir / f"{split}-en.tsv",
                world.tagged_sentences(size, offset),
                world,
                SOURCE_LANGUAGE,
            )
        tagged_test = world.tagged_sentences(config.tagging_test_size, 13)
        for language in world.languages:
            _write_tagged(tagging_dir / f"test-{language}.tsv", tagged_test, world, language)
    if config.unlabeled_size:
        _write_unlabeled(output_dir / "unlabeled", world, config)
    (output_dir / "languages.json").write_text(json.dumps(description, indent=2), encoding="utf-8")
    with open(output_dir / "distances.csv", "w", encoding="utf-8") as out:
        out.write("language,distance_name,value,note\n")
        for code, name, value in world.distance_rows():
            shown = "" if value is None else f"{value:.6g}"
            out.write(f"{code},{name},{shown},{DISTANCE_NAMES[name]}\n")
    # Names and a family for reports (`common/languages.py`, `load_language_file`) and for
    # `xtreme-compare --families`: a family per top ancestor below English.
    rows = []
    for code in world.targets:
        share, parent = world.synonym_share[code], world.parent[code]
        origin = "" if parent == SOURCE_LANGUAGE else f", from {parent}"
        rows.append(
            f"{code}\tSynthetic {code[2:].upper()} (misalignment {world.misalignment[code]},"
            f" synonym-ward share {share}{origin})\tSynthetic-{world.family(code)}"
            f"\tSimulated\tLatin\n"
        )
    (output_dir / "languages.tsv").write_text("".join(rows), encoding="utf-8")
    (output_dir / "families.csv").write_text(
        "language,family,genus\n"
        + "".join(f"{code},Synthetic-{world.family(code)},Simulated\n" for code in world.targets),
        encoding="utf-8",
    )
    return world


def main(argv: Optional[Sequence[str]] = None) -> None:
    """
    `python -m allennlp_robust_xlt.data.synthetic_xlt OUTPUT_DIR [--seed N] [--train-size N]
    [--misalignments M ...] [--synonym-shares S ...] [--parents CODE ...] [--tagging-train-size N]`
    """
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
    parser.add_argument(
        "--synonym-shares",
        type=float,
        nargs="+",
        default=[],
        help="per target language: share of its offset towards a synonym (default: all 0)",
    )
    parser.add_argument(
        "--parents",
        nargs="+",
        default=[],
        help="per target language: en or an earlier target it derives from (default: all en)",
    )
    parser.add_argument(
        "--tagging-train-size",
        type=int,
        default=defaults.tagging_train_size,
        help="sentences of the token-level task's training data (0: no udpos/)",
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
        synonym_shares=tuple(args.synonym_shares),
        parents=tuple(args.parents),
        tagging_train_size=args.tagging_train_size,
    )
    world = write_benchmark(args.output_dir, config)
    print(
        f"{args.output_dir}: languages"
        f" {' '.join(f'{code} ({world.misalignment[code]})' for code in world.languages)}"
    )


if __name__ == "__main__":
    main()
