"""
Smoothed prediction: a majority vote of the model over m randomly perturbed copies of each input.

`SmoothedVoter` is shared by the `smoothed_pair_classification` predictor (`allennlp predict`)
and the `smoothed_vote` evaluator (`allennlp evaluate`). For each input (the arguments of one
`text_to_instance` call, see `allennlp_robust_xlt/data/reader_calls.py`) it builds `copies`
perturbed instances with the reader's own `text_to_instance`, runs the model on them in batches,
and counts one vote per copy for the copy's most probable label. The winner is the label with
most votes; ties go to the tied label with the higher mean probability over the copies (then to
the lower label index).

Copies are perturbed by synonym substitution (the RS-DA law, `allennlp_robust_xlt/data/synonyms.py`)
drawn from a generator seeded by `(seed, digest of the input's texts, copy index)`: the vote for
a given input is the same whatever else is in the batch or file, so `allennlp predict` and
`allennlp evaluate` agree for the same seed.

Voting by embedding noise plugs in through `VoteNoise`: a registrable source of noise that is
active inside the model's forward pass while the copies are scored. One is registered:
`word_embedding_noise` (`allennlp_robust_xlt/evaluation/word_embedding_noise.py`, Gaussian or
uniform-ball noise on the transformer's word embeddings, built on the `WordEmbeddingPerturbation`
of `allennlp_robust_xlt/nn/embedding_perturbation.py`). Synonym substitution and
noise can be combined; at least one of them is required.

Sequence-labelling models (probabilities per word, `[rows, words, labels]`, the real words given
by the output's `mask`) vote per word: `vote_per_position` gives each word the majority label over
the copies (RS-DA substitutes whole words one for one, so every copy has the same words'
positions); the `smoothed_tagging` predictor uses it.
"""

from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any, Callable, ContextManager, Dict, List, Optional, Sequence, Tuple, Union

import torch
from allennlp.common import Params, Registrable
from allennlp.common.checks import ConfigurationError
from allennlp.data import Batch, Instance
from allennlp.data.dataset_readers.dataset_reader import DatasetReader
from allennlp.models import Model
from allennlp.nn import util as nn_util

from allennlp_robust_xlt.common.errors import ParameterError, check_int
from allennlp_robust_xlt.data.dataset_readers.randomized_smoothing import RandomizedSmoothingReader
from allennlp_robust_xlt.data.reader_calls import TextArguments, TextToInstanceCall, build_instance
from allennlp_robust_xlt.data.synonyms import (
    MATCH_MODES,
    NeighborTable,
    SynonymSubstitution,
    copy_random,
)

PROBABILITY_KEYS = ("probs", "label_probs", "class_probabilities")


class VoteNoise(Registrable):
    """
    Noise applied inside the model while the perturbed copies are scored. Implementations return
    a context manager from `applied` that adds the noise to every forward pass run inside it and
    removes every hook on exit. `instance_keys` names the instances of the batch
    (`"<input digest>:<copy>"`), so that an implementation can draw per-instance noise that does
    not depend on the batch composition.
    """

    def applied(self, model: Model, instance_keys: Sequence[str]) -> ContextManager[None]:
        raise NotImplementedError


def vote_noise_from(
    noise: Optional[Union["VoteNoise", Dict[str, Any]]], component: str
) -> Optional["VoteNoise"]:
    """A `VoteNoise` from its config dict (as predictors get it from `--predictor-args`)."""
    if noise is None or isinstance(noise, VoteNoise):
        return noise
    if not isinstance(noise, dict):
        raise ParameterError(
            component, "noise", f"must be a JSON object with a 'type', got {noise!r}"
        )
    available = VoteNoise.list_available()
    try:
        return VoteNoise.from_params(Params(dict(noise)))
    except ConfigurationError as error:
        raise ParameterError(
            component,
            "noise",
            f"{error} (registered noise sources:"
            f" {', '.join(available) if available else 'none yet'})",
        ) from None


@dataclass
class Vote:
    """The outcome for one input: votes and mean probability per label index, and the gold label index."""

    counts: List[int]
    mean_probs: List[float]
    gold: Optional[int] = None

    @property
    def scores(self) -> List[float]:
        # Counts differ by at least 1, mean probabilities by less: they only break ties.
        return [count + 0.5 * prob for count, prob in zip(self.counts, self.mean_probs)]

    @property
    def label_index(self) -> int:
        scores = self.scores
        return max(range(len(scores)), key=lambda index: (scores[index], -index))

    @property
    def share(self) -> float:
        """Fraction of the copies that voted for the winning label."""
        total = sum(self.counts)
        return self.counts[self.label_index] / total if total else 0.0


def check_vote_arguments(
    component: str, neighbors: Optional[str], copies: int, match: str, noise: Optional[VoteNoise]
) -> None:
    """The checks of a vote's settings, shared by the voter and the components that build one later."""
    check_int(component, "copies", copies)
    if match not in MATCH_MODES:
        raise ParameterError(
            component, "match", f"must be one of {', '.join(map(repr, MATCH_MODES))}, got {match!r}"
        )
    if neighbors is None and noise is None:
        raise ParameterError(
            component,
            "neighbors",
            "is required (a neighbour table), unless a noise source is given",
        )


class SmoothedVoter:
    """
    # Parameters

    model : `Model`
        A classifier whose `forward` returns class probabilities (`probs`, `label_probs` or
        `class_probabilities`) or `logits`.
    reader : `DatasetReader`
        The reader whose `text_to_instance` builds the copies (a `randomized_smoothing` reader
        is unwrapped to its clean base reader).
    neighbors : `str`, optional
        Path or URL of a JSON neighbour table; required unless `noise` is given.
    copies : `int`
        Number of perturbed copies (votes) per input, at least 1.
    seed : `int`
    match : `str`
        `"exact"` or `"normalized"` (see `randomized_smoothing`).
    include_original : `bool`
        Let the clean input vote too (one more vote).
    noise : `VoteNoise`, optional
    batch_size : `int`
        Instances (copies) per forward pass.
    text_arguments : `List[str]`, optional
        As for `randomized_smoothing`.
    cuda_device : `int` or `torch.device`, optional
        Where to put the batches; by default the model's device.
    component : `str`
        The user's component, for error messages.
    """

    def __init__(
        self,
        model: Model,
        reader: DatasetReader,
        neighbors: Optional[str] = None,
        copies: int = 10,
        seed: int = 0,
        match: str = "exact",
        include_original: bool = False,
        noise: Optional[VoteNoise] = None,
        batch_size: int = 64,
        text_arguments: Optional[List[str]] = None,
        cuda_device: Optional[Union[int, torch.device]] = None,
        component: str = "smoothed voting",
    ) -> None:
        check_vote_arguments(component, neighbors, copies, match, noise)
        check_int(component, "batch_size", batch_size)
        while isinstance(reader, RandomizedSmoothingReader):
            reader = reader.base_reader
        self.model = model
        self.reader = reader
        self.copies = copies
        self.seed = seed
        self.include_original = include_original
        self.noise = noise
        self.batch_size = batch_size
        self.cuda_device = model._get_prediction_device() if cuda_device is None else cuda_device
        self.substitution = (
            SynonymSubstitution(NeighborTable.from_file(neighbors), match, component=component)
            if neighbors is not None
            else None
        )
        self.text_arguments = TextArguments(reader, text_arguments, component=component)
        self.label_namespace: str = getattr(model, "_label_namespace", "labels")

    @property
    def votes_per_input(self) -> int:
        return self.copies + (1 if self.include_original else 0)

    def labels(self) -> Dict[int, str]:
        return self.model.vocab.get_index_to_token_vocabulary(self.label_namespace)

    def copy_calls(self, call: TextToInstanceCall) -> List[Tuple[str, TextToInstanceCall]]:
        """`(instance key, call)` for the votes of one input."""
        key = self.text_arguments.content_key(call)
        calls: List[Tuple[str, TextToInstanceCall]] = []
        if self.include_original:
            calls.append((f"{key}:original", call))
        for copy in range(self.copies):
            copy_call = call
            if self.substitution is not None:
                rng = copy_random(self.seed, key, copy)
                substitution = self.substitution
                copy_call = self.text_arguments.rewrite(
                    call, lambda words: substitution.perturb_words(words, rng)
                )
            calls.append((f"{key}:{copy}", copy_call))
        return calls

    def vote(
        self,
        calls: Sequence[TextToInstanceCall],
        on_output: Optional[Callable[[Dict[str, torch.Tensor], int], None]] = None,
    ) -> List[Vote]:
        """
        One `Vote` per call. `on_output(output_dict, batch_length)` sees every forward pass
        (the evaluator sums the losses with it).
        """
        votes = []
        for counts, prob_sums, gold in self._tally(calls, on_output):
            if counts.dim() != 1:
                raise ParameterError(
                    type(self.model).__name__,
                    "forward",
                    "gives probabilities per word (a tagger): a vote per example does not apply;"
                    " tag by vote with the smoothed_tagging predictor (a vote per word)",
                )
            votes.append(self._vote(counts, prob_sums, gold))
        return votes

    def vote_per_position(
        self,
        calls: Sequence[TextToInstanceCall],
        on_output: Optional[Callable[[Dict[str, torch.Tensor], int], None]] = None,
    ) -> List[List[Vote]]:
        """
        For a sequence-labelling model (probabilities of shape `[rows, positions, labels]`, the
        real positions given by the output's `mask`): one `Vote` per position (word) of each
        call, the majority label of that position over the copies. The copies must keep the
        number of positions (RS-DA substitutes whole words one for one).
        """
        votes = []
        for counts, prob_sums, gold in self._tally(calls, on_output):
            if counts.dim() == 1:  # no copy was built: no position either
                votes.append([])
                continue
            votes.append(
                [
                    self._vote(counts[position], prob_sums[position], gold, position)
                    for position in range(counts.size(0))
                ]
            )
        return votes

    def _vote(
        self,
        counts: torch.Tensor,
        prob_sums: torch.Tensor,
        gold: Optional[torch.Tensor],
        position: Optional[int] = None,
    ) -> Vote:
        if gold is not None:
            gold_index: Optional[int] = int(gold if position is None else gold[position])
        else:
            gold_index = None
        total = int(counts.sum())
        if total == 0:  # the reader built no instance for any copy
            return Vote(counts.tolist(), prob_sums.tolist(), gold_index)
        return Vote(counts.tolist(), (prob_sums / total).tolist(), gold_index)

    def _tally(
        self,
        calls: Sequence[TextToInstanceCall],
        on_output: Optional[Callable[[Dict[str, torch.Tensor], int], None]],
    ) -> List[Tuple[torch.Tensor, torch.Tensor, Optional[torch.Tensor]]]:
        """
        Per call: the votes per label `[labels]` (or per position and label `[positions,
        labels]`), the summed probabilities of the same shape, and the gold label(s) if known.
        """
        owners: List[int] = []
        keys: List[str] = []
        instances: List[Instance] = []
        for position, call in enumerate(calls):
            for key, copy_call in self.copy_calls(call):
                instance = build_instance(self.reader, copy_call)
                if instance is None:
                    continue
                self.reader.apply_token_indexers(instance)
                owners.append(position)
                keys.append(key)
                instances.append(instance)
        num_labels = self.model.vocab.get_vocab_size(self.label_namespace)
        counts: List[Optional[torch.Tensor]] = [None] * len(calls)
        prob_sums: List[Optional[torch.Tensor]] = [None] * len(calls)
        golds: List[Optional[torch.Tensor]] = [None] * len(calls)
        for start in range(0, len(instances), self.batch_size):
            end = start + self.batch_size
            probs, choices, gold, lengths = self._score(
                instances[start:end], keys[start:end], on_output
            )
            for row, owner in enumerate(owners[start:end]):
                row_probs = probs[row] if lengths is None else probs[row, : lengths[row]]
                row_choices = choices[row] if lengths is None else choices[row, : lengths[row]]
                votes = torch.nn.functional.one_hot(row_choices, row_probs.size(-1))
                if counts[owner] is None:
                    counts[owner] = torch.zeros(row_probs.shape, dtype=torch.long)
                    prob_sums[owner] = torch.zeros(row_probs.shape, dtype=torch.double)
                elif counts[owner].shape != row_probs.shape:  # type: ignore[union-attr]
                    raise ParameterError(
                        type(self.model).__name__,
                        "forward",
                        f"gave copies of one input {counts[owner].size(0)} and"  # type: ignore[union-attr]
                        f" {row_probs.size(0)} positions; a vote per position needs copies of"
                        " the same length",
                    )
                counts[owner] += votes  # type: ignore[operator]
                prob_sums[owner] += row_probs.double()  # type: ignore[operator]
                if gold is not None:
                    golds[owner] = gold[row] if lengths is None else gold[row, : lengths[row]]
        return [
            (
                count if count is not None else torch.zeros(num_labels, dtype=torch.long),
                prob_sum if prob_sum is not None else torch.zeros(num_labels, dtype=torch.double),
                gold,
            )
            for count, prob_sum, gold in zip(counts, prob_sums, golds)
        ]

    def _score(
        self,
        instances: List[Instance],
        keys: List[str],
        on_output: Optional[Callable[[Dict[str, torch.Tensor], int], None]],
    ) -> Tuple[torch.Tensor, torch.Tensor, Optional[torch.Tensor], Optional[List[int]]]:
        """The batch's probabilities, each copy's choice (from the logits when the model gives
        them, as the models' metrics choose: probabilities of near-tied logits can round to a
        tie), gold labels (`label` or `tags`, if given) and, for probabilities per position, each
        row's number of real positions."""
        batch = Batch(instances)
        batch.index_instances(self.model.vocab)
        tensors = nn_util.move_to_device(batch.as_tensor_dict(), self.cuda_device)
        noise = self.noise.applied(self.model, keys) if self.noise is not None else nullcontext()
        with torch.no_grad(), noise:
            output = self.model(**tensors)
        if on_output is not None:
            on_output(output, len(instances))
        probs = next((output[key] for key in PROBABILITY_KEYS if key in output), None)
        if probs is None:
            if "logits" not in output:
                raise ParameterError(
                    type(self.model).__name__,
                    "forward",
                    f"must return class probabilities ({', '.join(PROBABILITY_KEYS)}) or logits to"
                    " vote",
                )
            probs = torch.softmax(output["logits"], dim=-1)
        logits = output.get("logits")
        scores = (
            logits if isinstance(logits, torch.Tensor) and logits.shape == probs.shape else probs
        )
        choices = scores.detach().max(dim=-1)[1].cpu()
        lengths: Optional[List[int]] = None
        if probs.dim() == 3:
            mask = output.get("mask")
            lengths = (
                mask.sum(dim=-1).tolist()
                if isinstance(mask, torch.Tensor)
                else [probs.size(1)] * probs.size(0)
            )
        gold = tensors.get("label", tensors.get("tags"))
        return (
            probs.detach().float().cpu(),
            choices,
            gold.cpu() if isinstance(gold, torch.Tensor) else None,
            lengths,
        )
