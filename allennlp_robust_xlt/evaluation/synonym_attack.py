import itertools
import logging
import random
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple, Union

import torch
from allennlp.common.util import int_to_device
from allennlp.data import Batch, DataLoader, Instance
from allennlp.data.dataset_readers.dataset_reader import DatasetReader
from allennlp.evaluation.evaluator import Evaluator
from allennlp.evaluation.serializers.serializers import Serializer
from allennlp.models import Model
from allennlp.nn import util as nn_util

from allennlp_robust_xlt.common.errors import ParameterError, check_int
from allennlp_robust_xlt.data.dataset_readers.randomized_smoothing import RandomizedSmoothingReader
from allennlp_robust_xlt.data.reader_calls import (
    TextArguments,
    TextToInstanceCall,
    build_instance,
    read_calls,
)
from allennlp_robust_xlt.data.synonyms import (
    MATCH_MODES,
    NeighborTable,
    SynonymSubstitution,
    copy_random,
)
from allennlp_robust_xlt.evaluation.attack_evaluation import AttackEvaluator, AttackOutcome
from allennlp_robust_xlt.evaluation.smoothed_vote_evaluator import data_loader_batch_size
from allennlp_robust_xlt.nn.model_metrics import preserved_metrics

logger = logging.getLogger(__name__)

NAME = "synonym_attack"

# How a reader's `text_to_instance` names the language of its text arguments: the argument
# `<text argument>_language` (the pair readers' `premise_language`, `hypothesis_language`),
# else `language`.
LANGUAGE_ARGUMENT_SUFFIX = "_language"
LANGUAGE_ARGUMENT = "language"

# Text arguments that answers point into by character offset (extractive QA's context, for a
# reader with `rewrite_text_arguments`): substituting a word there would move the gold answer.
ANCHORED_TEXT_ARGUMENTS = ("context",)

Substitution = Tuple[str, int, str]  # (text argument, word position, replacement)


@dataclass
class _Search:
    """The greedy search of one instance."""

    call: TextToInstanceCall
    words: Dict[str, List[str]]
    options: Dict[Tuple[str, int], Tuple[str, ...]]
    rng: random.Random
    loss: float = 0.0
    substituted: Dict[Tuple[str, int], str] = field(default_factory=dict)
    queries: int = 0
    done: bool = False

    def current_words(self, extra: Optional[Substitution] = None) -> Dict[str, List[str]]:
        words = {name: list(values) for name, values in self.words.items()}
        for (name, position), word in self.substituted.items():
            words[name][position] = word
        if extra is not None:
            words[extra[0]][extra[1]] = extra[2]
        return words


@Evaluator.register(NAME)
class SynonymAttackEvaluator(AttackEvaluator):
    """
    Registered as an `Evaluator` with name "synonym_attack".

    Robust accuracy under word substitution from a neighbour table, as the certified-robustness
    literature evaluates (Jia et al. 2019; Ye et al. 2020's SAFER): each test instance may have
    up to `budget` of its words replaced, each by one of that word's neighbours in the table
    (the counter-fitted English table, or a `build-neighbors` table per language), and a greedy
    search looks for the substitutions that maximize the model's loss. Words are the text
    arguments of the reader's `text_to_instance` split on single spaces (as RS-DA perturbs them,
    `data/reader_calls.py` and `data/synonyms.py`; `match: normalized` also matches words with
    attached punctuation or another case). Unlike Jia et al.'s genetic attack, no language model
    filters the substitutions, and the search is greedy:

        repeat up to `budget` times: among the substitutions of one more word (a word not yet
        substituted, by one of its neighbours), take the one whose instance has the highest
        loss; stop when none raises the loss.

    Then the model is evaluated on the attacked instances. With `budget` 0 every attacked
    metric equals the clean one exactly.

    ```bash
    allennlp evaluate model.tar.gz data/xtreme/xnli/test-en.tsv --include-package allennlp_robust_xlt \\
        -o '{"evaluation": {"type": "synonym_attack", "neighbors": "counterfitted_neighbors.json", "budget": 3}}'
    ```

    The loss of each candidate instance: for a classifier whose output has `logits` and whose
    batch has a `label`, the cross-entropy of each row, used only when its mean reproduces the
    model's `loss` for the batch (so label weights or smoothing are never ignored); otherwise
    the model's `loss` of each candidate alone (a batch of one: exact for any model, slower).

    It reads each file with the archive's validation reader and data path (the data loader must
    be AllenNLP's default `multiprocess` one, which keeps both), as `smoothed_vote` does.

    Metrics (see `evaluation/attack_evaluation.py`): the model's metrics and `loss` on the clean
    instances, the same prefixed `attacked_` under attack, `substitutions` (mean substituted
    words per instance), `queries` (mean candidate instances scored per instance) and `examples`.
    Deterministic; `seed` only matters with `max_candidates`.

    # Parameters

    neighbors : `str` or `Dict[str, str]`
        A neighbour table (path or URL of a JSON object `{word: [neighbour, ...]}`) used for every
        text, or a table per language code (`{"en": "counterfitted_neighbors.json", "de":
        "neighbors-de.json"}`): each text argument is then attacked with the table of its
        language, given by the `text_to_instance` argument `<argument>_language` (the pair
        readers' `premise_language` / `hypothesis_language`) or `language`.
    budget : `int`, optional (default = `None`: every word that has neighbours)
        The most words substituted per instance.
    match : `str`, optional (default = `"exact"`)
        `"exact"` or `"normalized"`, as for the `randomized_smoothing` reader.
    max_candidates : `int`, optional (default = `None`: all)
        Score at most this many substitutions per instance and step, drawn at random (from a
        generator seeded by `seed` and the instance's text), to bound the cost.
    seed : `int`, optional (default = `0`)
    batch_size : `int`, optional (default = the data loader's batch size, else 32)
        Instances per forward pass (clean, attacked and candidates).
    text_arguments : `List[str]`, optional
        As for the `randomized_smoothing` reader. Taggers: `["words"]` (one tag per word, so
        whole-word substitution keeps the tags aligned). Extractive QA: `["question"]` (the
        context is refused, `ANCHORED_TEXT_ARGUMENTS`: its answers are character offsets).
    batch_serializer, cuda_device, postprocessor_fn_name
        As for AllenNLP's `simple` evaluator.
    """

    component = NAME

    def __init__(
        self,
        neighbors: Union[str, Dict[str, str]],
        budget: Optional[int] = None,
        match: str = "exact",
        max_candidates: Optional[int] = None,
        seed: int = 0,
        batch_size: Optional[int] = None,
        text_arguments: Optional[List[str]] = None,
        batch_serializer: Optional[Serializer] = None,
        cuda_device: Union[int, torch.device] = -1,
        postprocessor_fn_name: str = "make_output_human_readable",
    ) -> None:
        super().__init__(batch_serializer, cuda_device, postprocessor_fn_name)
        if match not in MATCH_MODES:
            raise ParameterError(
                NAME, "match", f"must be one of {', '.join(map(repr, MATCH_MODES))}, got {match!r}"
            )
        if isinstance(neighbors, str):
            tables: Dict[Optional[str], str] = {None: neighbors}
        elif isinstance(neighbors, dict) and neighbors:
            tables = dict(neighbors)
        else:
            raise ParameterError(
                NAME,
                "neighbors",
                f"must be a table's path or a {{language: path}} object, got {neighbors!r}",
            )
        self.substitutions = {
            language: SynonymSubstitution(NeighborTable.from_file(path), match, component=NAME)
            for language, path in tables.items()
        }
        self.budget = None if budget is None else check_int(NAME, "budget", budget, minimum=0)
        self.max_candidates = (
            None if max_candidates is None else check_int(NAME, "max_candidates", max_candidates)
        )
        self.seed = check_int(NAME, "seed", seed, minimum=-(2**63))
        self.batch_size = None if batch_size is None else check_int(NAME, "batch_size", batch_size)
        self.text_argument_names = text_arguments
        self._reader: Optional[DatasetReader] = None
        self._text: Optional[TextArguments] = None
        self._device: Any = None
        self._batch_size = 32
        self._batched_losses: Optional[bool] = None
        self._vocabulary: Any = None

    # -- reading -----------------------------------------------------------------------------

    def items(self, model: Model, data_loader: DataLoader) -> Iterator[List[TextToInstanceCall]]:
        reader = getattr(data_loader, "reader", None)
        data_path = getattr(data_loader, "data_path", None)
        if reader is None or data_path is None:
            raise ParameterError(
                NAME,
                "data_loader",
                "must read from a dataset reader and a data path (AllenNLP's multiprocess loader),"
                f" got {type(data_loader).__name__}",
            )
        while isinstance(reader, RandomizedSmoothingReader):
            reader = reader.base_reader
        self._reader = reader
        self._text = TextArguments(reader, self.text_argument_names, component=NAME)
        anchored = [name for name in self._text.names if name in ANCHORED_TEXT_ARGUMENTS]
        if anchored and hasattr(reader, "rewrite_text_arguments"):
            raise ParameterError(
                NAME,
                "text_arguments",
                f"would substitute words of {', '.join(anchored)}, which {type(reader).__name__}"
                " locates its answers in by character offset; attack the question only"
                ' ("text_arguments": ["question"])',
            )
        self._device = int_to_device(self.cuda_device)
        self._batch_size = self.batch_size or data_loader_batch_size(data_loader) or 32
        self._batched_losses = None
        calls = read_calls(reader, data_path, component=NAME)
        while True:
            chunk = list(itertools.islice(calls, self._batch_size))
            if not chunk:
                return
            yield chunk

    # -- the attack --------------------------------------------------------------------------

    def attack(self, model: Model, calls: List[TextToInstanceCall]) -> Optional[AttackOutcome]:
        assert self.attacked_metrics is not None
        self._vocabulary = model.vocab
        pairs = [(call, self._instance(call)) for call in calls]
        pairs = [(call, instance) for call, instance in pairs if instance is not None]
        if not pairs:  # the reader built no instance from these calls
            return None
        clean_batch = self._tensors([instance for _, instance in pairs])
        with torch.no_grad():
            clean_output = model(**clean_batch)  # counted in the clean metrics
            with preserved_metrics(model):
                searches = [self._search(call) for call, _ in pairs]
                for search, loss in zip(
                    searches, self._losses(model, [instance for _, instance in pairs])
                ):
                    search.loss = loss
                self._greedy(model, searches)
            attacked_instances = [
                self._instance(self._text_arguments.replace_words(s.call, s.current_words()))
                for s in searches
            ]
            attacked_batch = self._tensors(
                [
                    attacked if attacked is not None else instance
                    for attacked, (_, instance) in zip(attacked_instances, pairs)
                ]
            )
            with self.attacked_metrics.counting():
                attacked_output = model(**attacked_batch)
        statistics = {
            "substitutions": (float(sum(len(s.substituted) for s in searches)), len(searches)),
            "queries": (float(sum(s.queries for s in searches)), len(searches)),
            "examples": (float(len(searches)), 1),
        }
        return AttackOutcome(clean_batch, clean_output, attacked_batch, attacked_output, statistics)

    @property
    def _text_arguments(self) -> TextArguments:
        assert self._text is not None
        return self._text

    def _search(self, call: TextToInstanceCall) -> _Search:
        """The words of each text argument, and the neighbours of each word that has some."""
        words: Dict[str, List[str]] = {}
        options: Dict[Tuple[str, int], Tuple[str, ...]] = {}
        for name, value in self._text_arguments.texts(call).items():
            if value is None:
                continue
            words[name] = value.split(" ") if isinstance(value, str) else list(value)
            substitution = self._substitution(call, name)
            for position, word in enumerate(words[name]):
                choices = substitution.candidates(word)
                neighbours = tuple(c for c in choices[1:] if c != word) if choices else ()
                if neighbours:
                    options[(name, position)] = neighbours
        rng = copy_random(self.seed, self._text_arguments.content_key(call), 0)
        return _Search(call, words, options, rng)

    def _substitution(self, call: TextToInstanceCall, name: str) -> SynonymSubstitution:
        if None in self.substitutions:
            return self.substitutions[None]
        language = self._text_arguments.argument(call, name + LANGUAGE_ARGUMENT_SUFFIX)
        if language is None:
            language = self._text_arguments.argument(call, LANGUAGE_ARGUMENT)
        if language is None:
            raise ParameterError(
                NAME,
                "neighbors",
                "is a table per language, but the reader gives no language for the text"
                f" argument {name!r} (no '{name}{LANGUAGE_ARGUMENT_SUFFIX}' or"
                f" '{LANGUAGE_ARGUMENT}' argument); give one table",
            )
        if language not in self.substitutions:
            raise ParameterError(
                NAME,
                "neighbors",
                f"has no table for the language {language!r} (of the text argument {name!r});"
                f" it has: {', '.join(sorted(str(code) for code in self.substitutions))}",
            )
        return self.substitutions[language]

    def _greedy(self, model: Model, searches: Sequence[_Search]) -> None:
        """All instances' searches step by step; each step's candidates scored in batches."""
        step = 0
        while True:
            if self.budget is not None and step >= self.budget:
                return
            candidates: List[Tuple[_Search, Substitution, Instance]] = []
            for search in searches:
                if search.done:
                    continue
                options = [
                    (name, position, word)
                    for (name, position), words in search.options.items()
                    if (name, position) not in search.substituted
                    for word in words
                ]
                if self.max_candidates is not None and len(options) > self.max_candidates:
                    options = search.rng.sample(options, self.max_candidates)
                built = 0
                for option in options:
                    call = self._text_arguments.replace_words(
                        search.call, search.current_words(option)
                    )
                    instance = self._instance(call)
                    if instance is not None:
                        candidates.append((search, option, instance))
                        built += 1
                search.queries += built
                if built == 0:
                    search.done = True
            if not candidates:
                return
            losses = self._losses(model, [instance for _, _, instance in candidates])
            best: Dict[int, Tuple[float, Substitution]] = {}
            for (search, option, _), loss in zip(candidates, losses):
                if loss > search.loss and (id(search) not in best or loss > best[id(search)][0]):
                    best[id(search)] = (loss, option)
            for search in searches:
                if search.done:
                    continue
                if id(search) not in best:
                    search.done = True
                    continue
                loss, (name, position, word) = best[id(search)]
                search.substituted[(name, position)] = word
                search.loss = loss
            step += 1

    # -- model passes ------------------------------------------------------------------------

    def _instance(self, call: TextToInstanceCall) -> Optional[Instance]:
        assert self._reader is not None
        instance = build_instance(self._reader, call)
        if instance is not None:
            self._reader.apply_token_indexers(instance)
        return instance

    def _tensors(self, instances: List[Instance]) -> Dict[str, Any]:
        batch = Batch(instances)
        batch.index_instances(self._vocabulary)
        return nn_util.move_to_device(batch.as_tensor_dict(), self._device)

    def _losses(self, model: Model, instances: List[Instance]) -> List[float]:
        """The model's loss on each instance (see the class docstring)."""
        losses: List[float] = []
        for start in range(0, len(instances), self._batch_size):
            chunk = instances[start : start + self._batch_size]
            if self._batched_losses is not False:
                tensors = self._tensors(chunk)
                output = model(**tensors)
                rows = _row_losses(output, tensors)
                if rows is not None and bool(
                    torch.isclose(rows.mean(), _loss(model, output).float(), rtol=1e-4, atol=1e-6)
                ):
                    self._batched_losses = True
                    losses.extend(rows.tolist())
                    continue
                if self._batched_losses is None:
                    logger.info("%s: scoring each candidate in a batch of its own", NAME)
                self._batched_losses = False
            for instance in chunk:
                losses.append(float(_loss(model, model(**self._tensors([instance])))))
        return losses


def _loss(model: Model, output: Dict[str, Any]) -> torch.Tensor:
    if output.get("loss") is None:
        raise ParameterError(
            NAME,
            "model",
            f"{type(model).__name__} computed no loss on this data (no gold labels?); an attack"
            " maximizes the model's loss",
        )
    return output["loss"]


def _row_losses(output: Dict[str, Any], tensors: Dict[str, Any]) -> Optional[torch.Tensor]:
    """The cross-entropy of each row of a classifier's `logits` against the batch's `label`."""
    logits, labels = output.get("logits"), tensors.get("label")
    if not isinstance(logits, torch.Tensor) or not isinstance(labels, torch.Tensor):
        return None
    if logits.dim() != 2 or labels.dim() != 1 or logits.size(0) != labels.size(0):
        return None
    return torch.nn.functional.cross_entropy(logits.float(), labels.long(), reduction="none")
