"""
Cross-lingual alignment of multilingual encoders, layer by layer (`xtreme-alignment`; the thin
subcommand is `allennlp_robust_xlt.commands.xtreme_alignment`). Definitions follow
`analyses-reference.md` §1 and §5.

**Data.** Every language is compared with English on parallel sentences:

* a pair-classification task's test (or dev) files, parallel line by line across languages
  (XNLI's 15-way parallel `xnli/{split}-{lang}.tsv`, PAWS-X's, the synthetic benchmark's
  `pawsx/test-{lang}.tsv`): the first sentence of line i in English and in the language
  (`PARALLEL_SENTENCE`); files of different lengths are an error naming the longer file and its
  first line without a counterpart;
* Tatoeba's sentence pairs (`retrieval/tatoeba.py`: LASER's files, line-aligned).

A pair is kept once: a line whose English or foreign sentence already appeared in an earlier
kept line is skipped (XNLI repeats each premise for its three hypotheses; a repeated sentence
would make retrieval ambiguous and count in the random pairs as its own translation). The
number kept is in the report.

**Embeddings.** The shared engine (`retrieval/sentence_encoder.py`): a model name, a local
directory or an AllenNLP `model.tar.gz` (its fine-tuned transformer), sentences as XTREME feeds
them, mean pooling over the attention mask (special tokens included) or CLS, and every layer,
numbered like Hugging Face's `hidden_states` (0 = the embedding output), from one forward pass.
Per model, the English sentences of a file are embedded once for all languages, each language's
sentences once.

**Metrics**, per model, language and layer (x_i English, y_i its translation, e the pooled
embedding at the layer, n kept pairs):

* `cos_parallel` = mean_i cos(e(x_i), e(y_i));
* `cos_random` = mean_{i != j} cos(e(x_i), e(y_j)) (all n (n - 1) non-translation pairs,
  computed from the sums of the unit vectors, without the n x n matrix);
* `cos_gap` = `cos_parallel - cos_random`: anisotropy makes raw cosines high for any pair, so
  the gap and retrieval are what to read first;
* `p_at_1`: the fraction of English sentences whose nearest foreign sentence by cosine is their
  translation (XTREME's Tatoeba direction: English queries); `p_at_1_reverse`: foreign queries.
  Exact search (`retrieval/search.py`), ties to the lower index as in faiss;
* `cka`: linear CKA (Kornblith et al. 2019) of the two n x d matrices of embeddings, columns
  centred, in float64: `||Y^T X||_F^2 / (||X^T X||_F ||Y^T Y||_F)` (feature form, when d <= n),
  or the same number from the n x n Gram matrices (`<K, L>_F / (||K||_F ||L||_F)`, K = X X^T,
  when n < d).

The **summary layer** is `--layer`, else XTREME's retrieval layer for the model (Tatoeba's:
`hidden_states[8]` of mBERT, `[14]` of XLM-R large; other models `round(2 L / 3)`, see
`SentenceEncoder.default_layer`).

**Alignment under perturbation** (`--attack '<embedding_attack JSON>'`, §5): each English
sentence's word embeddings get the perturbation, within the attack's ball (`norm`, `epsilon`,
`alpha`, `steps`, `random_init`, `seed` of the `embedding_attack` evaluator, whose start and
PGD step are used), that maximises

    L(delta) = - cos(e_l(x + delta), e_l(y))

at the model's summary layer l, y the translation (its clean embedding is the target, fixed):
projected gradient ascent on the cosine distance between the English sentence and its
translation, an encoder having no task head whose loss could be attacked. One ball per
sentence over its real tokens, the model frozen in eval mode. The attack depends on the
language (the targets are its translations), so each language attacks its own English copy.
The same metrics are then computed with the perturbed English embeddings at every layer
(`attacked_<metric>`, beside the clean ones; the foreign side stays clean) and the mean
perturbation norm. The stability of §5 is `attacked_cos_parallel - cos_parallel` (the report
shows it). With `epsilon` 0 the attacked metrics equal the clean ones exactly: under an attack,
the clean English embeddings of each language are computed in the attack's own batches.

**Outputs** (`output_dir`, a non-empty one only with `force`; written all at once at the end):
`alignment.csv` (`ALIGNMENT_COLUMNS`, one row per model, language and layer, then the attacked
columns under an attack), `alignment.md` (the summary at the summary layer and the layer
profile of each model), `alignment.json` (`summary_layer` — null when the models' defaults
differ —, `summary_layers` per model and the settings) and the plots `alignment_layers.png`
(cos gap and P@1 per layer, averaged over the languages, a line per model) and
`alignment_languages.png` (per language at the summary layer). Models given as `NAME=MODEL` are
written as `NAME` (`xtreme-compare` matches `NAME` and `NAME#k` with its methods).
"""

import csv
import io
import json
import logging
import math
import os
import re
import shutil
import tempfile
from copy import deepcopy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import torch

from allennlp_robust_xlt.analysis.compare.inputs import ALIGNMENT_COLUMNS
from allennlp_robust_xlt.common.errors import InputFileError, ParameterError
from allennlp_robust_xlt.common.languages import (
    SOURCE_LANGUAGE,
    get_language,
    is_known_language,
    load_language_file,
)
from allennlp_robust_xlt.retrieval.search import accuracy_at_1, best_matches, normalize
from allennlp_robust_xlt.retrieval.sentence_encoder import (
    DEFAULT_MAX_LENGTH,
    POOLINGS,
    SentenceEncoder,
    load_sentence_encoder,
    pool,
)
from allennlp_robust_xlt.retrieval.tatoeba import available_tatoeba_languages, read_tatoeba
from allennlp_robust_xlt.tasks import TASKS, Task

logger = logging.getLogger(__name__)

COMMAND = "xtreme-alignment"
METRICS: Tuple[str, ...] = ALIGNMENT_COLUMNS[3:]
"""`cos_parallel, cos_random, cos_gap, p_at_1, p_at_1_reverse, cka` (xtreme-compare's columns)."""
ATTACKED_PREFIX = "attacked_"
SUMMARY_METRICS = ("cos_gap", "p_at_1", "p_at_1_reverse", "cka", "cos_parallel", "cos_random")
"""The order of the summary's columns: the gap and retrieval first."""

# TASK TABLE: the tasks whose files give parallel sentences. Pair-classification tasks' test and
# dev files are parallel line by line across languages (XNLI 15-way, PAWS-X); Tatoeba's pairs
# are read by `retrieval/tatoeba.py`.
PAIR_FAMILY = "pair_classification"
TATOEBA = "tatoeba"
PARALLEL_SENTENCE = "first"
"""Which sentence of a pair file's line is the parallel sentence (`PairRow.first`)."""
LAYER_TASK = "tatoeba"
"""The default summary layer is XTREME's retrieval layer for this task."""

DEFAULT_TASK = "xnli"
DEFAULT_SPLIT = "test"
DEFAULT_POOLING = "mean"
DEFAULT_BATCH_SIZE = 32
OUTPUT_FILES = (
    "alignment.csv",
    "alignment.md",
    "alignment.json",
    "alignment_layers.png",
    "alignment_languages.png",
)
_NAME = re.compile(r"^[A-Za-z0-9_.#+-]+$")


def alignment_tasks() -> List[str]:
    """The `--task` choices: the pair-classification tasks of the table, and Tatoeba."""
    return [key for key, task in TASKS.items() if task.family == PAIR_FAMILY] + [TATOEBA]


# -- models -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelSpec:
    name: str
    """The name in the `model` column (`NAME` of `NAME=MODEL`, else the model as given)."""
    model: str


def parse_model_specs(specs: Sequence[str]) -> List[ModelSpec]:
    """`NAME=MODEL` or `MODEL` arguments; a name given twice is an error."""
    parsed = []
    for spec in specs:
        name, separator, model = spec.partition("=")
        if separator and name and model and _NAME.match(name) and not Path(spec).exists():
            parsed.append(ModelSpec(name, model))
        else:
            parsed.append(ModelSpec(spec, spec))
    seen: Dict[str, str] = {}
    for spec_ in parsed:
        if spec_.name in seen:
            raise ParameterError(
                COMMAND,
                "MODEL",
                f"names {spec_.name!r} twice ({seen[spec_.name]} and {spec_.model}); give each"
                " model its own NAME=MODEL (seeds of one method as NAME#0, NAME#1, ...)",
            )
        seen[spec_.name] = spec_.model
    if not parsed:
        raise ParameterError(COMMAND, "MODEL", "needs at least one model")
    return parsed


# -- parallel data ------------------------------------------------------------------------------


@dataclass
class ParallelSet:
    """One language's parallel sentences with English."""

    language: str
    english: List[str]
    """Every English sentence of `english_path` (shared by the languages of a pair task)."""
    rows: List[int]
    """The kept pairs: indices into `english` (and into the foreign file's lines)."""
    foreign: List[str]
    """The kept foreign sentences, aligned with `rows`."""
    english_path: Path
    foreign_path: Path
    skipped: int = 0
    """Pairs left out because a sentence repeated an earlier one (or was empty)."""

    @property
    def size(self) -> int:
        return len(self.rows)

    def english_sentences(self) -> List[str]:
        return [self.english[row] for row in self.rows]


def keep_distinct(english: Sequence[str], foreign: Sequence[str]) -> List[int]:
    """The indices of the pairs whose two sentences are non-empty and appear in no earlier kept pair."""
    seen_english, seen_foreign, kept = set(), set(), []
    for index, (first, second) in enumerate(zip(english, foreign)):
        if not first.strip() or not second.strip():
            continue
        if first in seen_english or second in seen_foreign:
            continue
        seen_english.add(first)
        seen_foreign.add(second)
        kept.append(index)
    return kept


def read_pair_sentences(path: Path) -> Tuple[List[str], List[int]]:
    """The first sentence of every line of a pair-classification file, and each one's line number."""
    from allennlp_robust_xlt.pair_classification.dataset_readers.pair_files import FileSource

    source = FileSource(str(path))
    rows = [source.parse(unit) for unit in source.units()]
    return [getattr(row, PARALLEL_SENTENCE) for row in rows], [row.line for row in rows]


def read_parallel_sets(
    task: Task, data_dir: Path, split: str, languages: Sequence[str]
) -> List[ParallelSet]:
    """Every language's parallel set (all read and checked before any model is loaded)."""
    directory = task.task_directory(data_dir)
    sets = []
    if task.key == TATOEBA:
        for code in languages:
            pair = read_tatoeba(directory, code)
            rows = keep_distinct(pair.english, pair.foreign)
            sets.append(
                ParallelSet(
                    code,
                    pair.english,
                    rows,
                    [pair.foreign[row] for row in rows],
                    pair.english_path,
                    pair.foreign_path,
                    len(pair.english) - len(rows),
                )
            )
        return sets
    english_path = directory / task.file_name(split, SOURCE_LANGUAGE)
    if not english_path.is_file():
        raise InputFileError(
            english_path, None, "file not found (the English side of every parallel set)"
        )
    english, english_lines = read_pair_sentences(english_path)
    for code in languages:
        path = directory / task.file_name(split, code)
        if not path.is_file():
            raise InputFileError(path, None, f"file not found (needed for the language {code})")
        foreign, foreign_lines = read_pair_sentences(path)
        if len(foreign) != len(english):
            longer, lines, shorter, count = (
                (path, foreign_lines, english_path, len(english))
                if len(foreign) > len(english)
                else (english_path, english_lines, path, len(foreign))
            )
            raise InputFileError(
                longer,
                lines[count],
                f"has no parallel line in {shorter}, which ends after {count} sentence pairs"
                f" (the {task.name} {split} files of all languages must be line-aligned"
                " translations)",
            )
        rows = keep_distinct(english, foreign)
        if len(rows) < 2:
            raise InputFileError(
                path, None, f"has {len(rows)} distinct parallel sentences; at least 2 are needed"
            )
        sets.append(
            ParallelSet(
                code,
                english,
                rows,
                [foreign[row] for row in rows],
                english_path,
                path,
                len(english) - len(rows),
            )
        )
    return sets


def choose_languages(
    task: Task, data_dir: Path, split: str, languages: Optional[Sequence[str]]
) -> List[str]:
    """
    `--languages` (known or local-use codes, not English), or by default every language with a
    file: the task's, in the table's order, then others (e.g. the synthetic benchmark's `qaa`...).
    """
    directory = task.task_directory(data_dir)
    for language_file in dict.fromkeys([data_dir / "languages.tsv", directory / "languages.tsv"]):
        if language_file.is_file():
            load_language_file(language_file)
    if languages:
        codes = list(dict.fromkeys(languages))
        for code in codes:
            if code == SOURCE_LANGUAGE:
                raise ParameterError(
                    COMMAND,
                    "--languages",
                    f"lists {SOURCE_LANGUAGE}, the language every other is compared with",
                )
            if not is_known_language(code):
                raise ParameterError(
                    COMMAND,
                    "--languages",
                    f"has the unknown language code {code!r}; {task.name} has"
                    f" {' '.join(c for c in task.all_languages if c != SOURCE_LANGUAGE)}",
                )
        return codes
    if task.key == TATOEBA:
        codes = available_tatoeba_languages(directory)
    else:
        codes = [
            code
            for code in task.all_languages
            if code != SOURCE_LANGUAGE and (directory / task.file_name(split, code)).is_file()
        ]
        others = set()
        for path in directory.iterdir() if directory.is_dir() else ():
            found = task.match_file(path.name)
            if found is None or found[0] != split or found[1] != found[2]:
                continue
            code = found[1]
            if code != SOURCE_LANGUAGE and code not in codes and is_known_language(code):
                others.add(code)
        codes += sorted(others)
    if not codes:
        raise InputFileError(
            directory, None, f"has no {task.name} files of any language to compare with English"
        )
    return codes


# -- metrics ------------------------------------------------------------------------------------


def linear_cka(x: torch.Tensor, y: torch.Tensor) -> float:
    """
    Linear CKA of two `[n, d]` representations of the same n items, in float64, columns
    centred: the feature form when d <= n, the Gram form otherwise (the same number).
    """
    x = x.double() - x.double().mean(dim=0, keepdim=True)
    y = y.double() - y.double().mean(dim=0, keepdim=True)
    if x.shape[1] <= x.shape[0] and y.shape[1] <= y.shape[0]:
        cross = (y.t() @ x).pow(2).sum()
        denominator = torch.linalg.norm(x.t() @ x) * torch.linalg.norm(y.t() @ y)
    else:
        gram_x, gram_y = x @ x.t(), y @ y.t()
        cross = (gram_x * gram_y).sum()
        denominator = torch.linalg.norm(gram_x) * torch.linalg.norm(gram_y)
    if float(denominator) == 0.0:
        return float("nan")
    return float(cross / denominator)


def alignment_metrics(english: torch.Tensor, foreign: torch.Tensor) -> Dict[str, float]:
    """The metrics of one layer: `english[i]` and `foreign[i]` (`[n, d]`) are translations."""
    n = english.shape[0]
    en, xx = normalize(english), normalize(foreign)
    parallel = (en.double() * xx.double()).sum(dim=1)
    cos_parallel = float(parallel.mean())
    total = float(en.double().sum(dim=0) @ xx.double().sum(dim=0))
    cos_random = (total - float(parallel.sum())) / (n * (n - 1)) if n > 1 else float("nan")
    english_to_foreign, foreign_to_english = best_matches(en, xx, "cosine")
    return {
        "cos_parallel": cos_parallel,
        "cos_random": cos_random,
        "cos_gap": cos_parallel - cos_random,
        "p_at_1": accuracy_at_1(english_to_foreign),
        "p_at_1_reverse": accuracy_at_1(foreign_to_english),
        "cka": linear_cka(english, foreign),
    }


# -- alignment under perturbation -----------------------------------------------------------------


class AlignmentAttack:
    """
    The `--attack` of `xtreme-alignment`: PGD on the English sentences' word embeddings that
    minimises their cosine to their translations' embeddings at one layer (see the module
    docstring), with the parameters, start and step of the `embedding_attack` evaluator.
    """

    def __init__(self, params: Dict[str, Any]) -> None:
        from allennlp.common import Params
        from allennlp.common.checks import ConfigurationError
        from allennlp.evaluation.evaluator import Evaluator

        from allennlp_robust_xlt.evaluation.embedding_attack import (
            NAME,
            EmbeddingAttackEvaluator,
        )

        if not isinstance(params, dict) or params.get("type") != NAME:
            raise ParameterError(
                COMMAND,
                "--attack",
                f'must be an {NAME} JSON object (e.g. \'{{"type": "{NAME}", "epsilon": 0.5,'
                f' "steps": 10}}\'), got {json.dumps(params)}',
            )
        try:
            evaluator = Evaluator.from_params(Params(deepcopy(params)))
        except ConfigurationError as error:
            raise ParameterError(COMMAND, "--attack", str(error).strip().splitlines()[0]) from None
        assert isinstance(evaluator, EmbeddingAttackEvaluator)
        self.params = dict(params)
        self.evaluator = evaluator

    def embed(
        self,
        encoder: SentenceEncoder,
        sentences: Sequence[str],
        targets: torch.Tensor,
        layer: int,
        pooling: str,
        batch_size: int,
        max_length: int = DEFAULT_MAX_LENGTH,
    ) -> Tuple[torch.Tensor, float]:
        """
        The embeddings `[L + 1, n, hidden]` of `sentences` at every layer after the attack
        against `targets` (`[n, hidden]`, the translations' clean embeddings at `layer`), in the
        batches of `encoder.embed`, and the mean norm of the perturbations.
        """
        from allennlp_robust_xlt.nn.embedding_perturbation import (
            WordEmbeddingCall,
            WordEmbeddingPerturbation,
            example_norms,
            frozen_parameters,
        )

        attack = self.evaluator
        transformer = encoder.transformer
        layers = list(range(encoder.num_layers + 1))
        output = torch.zeros(len(layers), len(sentences), encoder.hidden_size)
        perturbation = WordEmbeddingPerturbation(transformer, component=f"{COMMAND} --attack")
        ascend = attack.steps > 0 and attack.epsilon > 0
        norms = 0.0
        with perturbation, frozen_parameters(transformer):
            for batch, input_ids, mask in encoder.batches(sentences, batch_size, max_length):
                target = normalize(targets[batch]).to(input_ids.device)
                real = perturbation.real_token_mask(input_ids)
                with torch.no_grad():
                    call = WordEmbeddingCall(input_ids, real, perturbation.layer(input_ids), False)
                delta = attack.start_perturbation(call)
                for _ in range(attack.steps if ascend else 0):
                    leaf = delta.detach().requires_grad_()
                    with torch.enable_grad(), perturbation.adding(leaf):
                        pooled = pool(
                            encoder.hidden_states(input_ids, mask), mask, [layer], pooling
                        )
                        loss = -torch.nn.functional.cosine_similarity(
                            pooled[0].float(), target, dim=-1
                        ).sum()
                    (grad,) = torch.autograd.grad(loss, leaf)
                    delta = attack.ascent_step(delta.detach(), grad, real)
                with torch.no_grad(), perturbation.adding(delta):
                    states = encoder.hidden_states(input_ids, mask)
                    output[:, batch] = pool(states, mask, layers, pooling).float().cpu()
                norms += float(example_norms(delta.detach().float(), attack.norm).sum())
        return output, norms / max(len(sentences), 1)


# -- the analysis -------------------------------------------------------------------------------


@dataclass
class ModelResult:
    spec: ModelSpec
    num_layers: int
    summary_layer: int
    rows: List[Dict[str, Any]] = field(default_factory=list)
    """One per language and layer: `language`, `layer` and the metrics (and attacked ones)."""
    perturbation_norms: Dict[str, float] = field(default_factory=dict)

    def at(self, layer: int) -> List[Dict[str, Any]]:
        return [row for row in self.rows if row["layer"] == layer]


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


@dataclass
class AlignmentReport:
    task: Task
    split: Optional[str]
    pooling: str
    sets: List[ParallelSet]
    results: List[ModelResult]
    attack: Optional[Dict[str, Any]] = None
    chosen_layer: Optional[int] = None

    @property
    def languages(self) -> List[str]:
        return [parallel.language for parallel in self.sets]

    @property
    def metric_columns(self) -> List[str]:
        columns = list(METRICS)
        if self.attack is not None:
            columns += [ATTACKED_PREFIX + name for name in METRICS]
        return columns

    @property
    def summary_layer(self) -> Optional[int]:
        layers = {result.summary_layer for result in self.results}
        return layers.pop() if len(layers) == 1 else None

    def csv_text(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["model", "language", "layer", *self.metric_columns])
        for result in self.results:
            for row in result.rows:
                writer.writerow(
                    [result.spec.name, row["language"], row["layer"]]
                    + [repr(float(row[name])) for name in self.metric_columns]
                )
        return out.getvalue()

    def settings(self) -> Dict[str, Any]:
        return {
            "summary_layer": self.summary_layer,
            "summary_layers": {r.spec.name: r.summary_layer for r in self.results},
            "layer_given": self.chosen_layer is not None,
            "num_layers": {r.spec.name: r.num_layers for r in self.results},
            "pooling": self.pooling,
            "task": self.task.key,
            "split": self.split,
            "models": {r.spec.name: r.spec.model for r in self.results},
            "languages": self.languages,
            "sentence_pairs": {p.language: p.size for p in self.sets},
            "attack": self.attack,
            "attack_objective": (
                None
                if self.attack is None
                else "maximise -cos(e_l(english + delta), e_l(translation)) at the summary layer"
            ),
            "perturbation_norm": (
                None
                if self.attack is None
                else {r.spec.name: r.perturbation_norms for r in self.results}
            ),
        }

    def markdown(self) -> str:
        split = f" {self.split}" if self.split else ""
        lines = [
            f"# Cross-lingual alignment: {self.task.name}{split}, {self.pooling} pooling",
            "",
            "Each language against English on its parallel sentences (pairs kept once). Layers"
            " are numbered like Hugging Face's `hidden_states` (0 = the embedding output)."
            " `cos_gap` = `cos_parallel` - `cos_random` (translations against all other pairs):"
            " read it and retrieval (`p_at_1`: English queries, `p_at_1_reverse`: the other"
            " language's) before raw cosines, which anisotropy inflates. `cka`: linear CKA.",
        ]
        if self.attack is not None:
            lines += [
                "",
                f"Under attack ({json.dumps(self.attack, sort_keys=True)}): the English side is"
                " perturbed on its word embeddings to minimise its cosine to the translation's"
                " embedding at the summary layer; `attacked_` columns use the perturbed English"
                " embeddings, and the stability is `attacked_cos_parallel - cos_parallel`.",
            ]
        for result in self.results:
            lines += ["", *self._model_section(result)]
        skipped = [p for p in self.sets if p.skipped]
        if skipped:
            lines += [
                "",
                "Pairs left out (a sentence repeating an earlier pair's, or empty): "
                + ", ".join(f"{p.language} {p.skipped}" for p in skipped)
                + ".",
            ]
        return "\n".join(lines) + "\n"

    def _model_section(self, result: ModelResult) -> List[str]:
        layer = result.summary_layer
        how = "given" if self.chosen_layer is not None else "XTREME's retrieval layer"
        columns = list(SUMMARY_METRICS)
        if self.attack is not None:
            columns += [ATTACKED_PREFIX + "cos_gap", ATTACKED_PREFIX + "p_at_1", "stability"]
        lines = [
            f"## {result.spec.name} — layer {layer} of {result.num_layers} ({how})",
            "",
            f"Model: `{result.spec.model}`",
            "",
            "| language | name | family | pairs | " + " | ".join(columns) + " |",
            "|---|---|---|---:|" + "---:|" * len(columns),
        ]
        rows = result.at(layer)
        sizes = {p.language: p.size for p in self.sets}
        for row in rows:
            language = get_language(row["language"])
            name, family = (language.name, language.family) if language else ("", "")
            cells = [_format(_value(row, column)) for column in columns]
            lines.append(
                f"| {row['language']} | {name} | {family} | {sizes[row['language']]} | "
                + " | ".join(cells)
                + " |"
            )
        if len(rows) > 1:
            cells = [_format(_mean([_value(row, column) for row in rows])) for column in columns]
            lines.append("| **average** | | | | " + " | ".join(cells) + " |")
        if self.attack is not None and result.perturbation_norms:
            lines += [
                "",
                "Mean perturbation norm: "
                + ", ".join(f"{k} {v:.4f}" for k, v in result.perturbation_norms.items()),
            ]
        lines += [
            "",
            "Layer profile (averages over the languages):",
            "",
            "| layer | cos_gap | p_at_1 | p_at_1_reverse | cka |",
            "|---:|---:|---:|---:|---:|",
        ]
        for index in range(result.num_layers + 1):
            at = result.at(index)
            cells = [
                _format(_mean([row[name] for row in at]))
                for name in ("cos_gap", "p_at_1", "p_at_1_reverse", "cka")
            ]
            marker = f"**{index}**" if index == layer else str(index)
            lines.append(f"| {marker} | " + " | ".join(cells) + " |")
        return lines

    def files(self, directory: Path) -> List[Path]:
        """Writes every output file into `directory`; returns their paths."""
        written = []
        for name, text in (
            ("alignment.csv", self.csv_text()),
            ("alignment.md", self.markdown()),
            ("alignment.json", json.dumps(self.settings(), indent=2) + "\n"),
        ):
            path = directory / name
            path.write_text(text, encoding="utf-8")
            written.append(path)
        written.append(plot_layers(self, directory / "alignment_layers.png"))
        written.append(plot_languages(self, directory / "alignment_languages.png"))
        return written


def _value(row: Dict[str, Any], column: str) -> float:
    if column == "stability":
        return row[ATTACKED_PREFIX + "cos_parallel"] - row["cos_parallel"]
    return float(row[column])


def _mean(values: Sequence[float]) -> float:
    finite = [value for value in values if not math.isnan(value)]
    return sum(finite) / len(finite) if finite else float("nan")


def _format(value: float) -> str:
    return "–" if math.isnan(value) else f"{value:.4f}"


# -- plots --------------------------------------------------------------------------------------


def _figure(width: float, height: float) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height))
    FigureCanvasAgg(figure)
    return figure


PLOTTED = (("cos_gap", "cosine gap (parallel - random)"), ("p_at_1", "P@1 (English queries)"))


def plot_layers(report: AlignmentReport, path: Path) -> Path:
    """The gap and P@1 per layer, averaged over the languages: a line per model."""
    figure = _figure(10, 4)
    for panel, (metric, label) in enumerate(PLOTTED, start=1):
        axes = figure.add_subplot(1, len(PLOTTED), panel)
        for result in report.results:
            layers = list(range(result.num_layers + 1))
            values = [_mean([row[metric] for row in result.at(layer)]) for layer in layers]
            axes.plot(layers, values, marker="o", label=result.spec.name)
            axes.axvline(result.summary_layer, color="grey", linewidth=0.5, linestyle=":")
        axes.set_xlabel("layer (hidden_states index)")
        axes.set_ylabel(label)
        axes.set_title(f"{label}, mean over {len(report.languages)} languages", fontsize=9)
        if panel == 1:
            axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(str(path), dpi=110)
    return path


def plot_languages(report: AlignmentReport, path: Path) -> Path:
    """The gap and P@1 of every language at each model's summary layer: grouped bars."""
    languages = report.languages
    figure = _figure(max(6.0, 0.6 * len(languages) * max(1, len(report.results)) + 2), 6)
    width = 0.8 / max(1, len(report.results))
    for panel, (metric, label) in enumerate(PLOTTED, start=1):
        axes = figure.add_subplot(len(PLOTTED), 1, panel)
        for number, result in enumerate(report.results):
            values = {row["language"]: row[metric] for row in result.at(result.summary_layer)}
            axes.bar(
                [index + number * width for index in range(len(languages))],
                [values[code] for code in languages],
                width=width,
                label=f"{result.spec.name} (layer {result.summary_layer})",
            )
        axes.set_xticks([index + 0.4 - width / 2 for index in range(len(languages))])
        axes.set_xticklabels(languages)
        axes.set_ylabel(label)
        if panel == 1:
            axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(str(path), dpi=110)
    return path


# -- the command --------------------------------------------------------------------------------


def check_output_dir(output_dir: Path, force: bool) -> None:
    if output_dir.exists() and not output_dir.is_dir():
        raise ParameterError(COMMAND, "--output-dir", f"{output_dir} is not a directory")
    if output_dir.exists() and any(output_dir.iterdir()) and not force:
        raise ParameterError(
            COMMAND,
            "--output-dir",
            f"{output_dir} exists and is not empty; pass --force to write into it",
        )


def write_report(report: AlignmentReport, output_dir: Path) -> List[Path]:
    """Every file written in a staging directory first, then moved: nothing half-written."""
    output_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{output_dir.name}.", dir=output_dir.parent))
    try:
        written = report.files(staging)
        output_dir.mkdir(parents=True, exist_ok=True)
        final = []
        for path in written:
            target = output_dir / path.name
            os.replace(path, target)
            final.append(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return final


def parse_attack(attack: Optional[str]) -> Optional[Dict[str, Any]]:
    if attack is None:
        return None
    try:
        params = json.loads(attack)
    except json.JSONDecodeError as error:
        raise ParameterError(COMMAND, "--attack", f"is not valid JSON: {error.msg}") from None
    if not isinstance(params, dict):
        raise ParameterError(COMMAND, "--attack", f"must be a JSON object, got {attack}")
    return params


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
    check_output_dir(output, force)
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
    attack_params = parse_attack(attack)
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
    write_report(report, output)
    return report
