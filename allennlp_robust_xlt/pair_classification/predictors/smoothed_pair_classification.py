from functools import partial
from typing import Any, Dict, List, Optional, Union

from allennlp.common.util import JsonDict, sanitize
from allennlp.data import DatasetReader, Instance
from allennlp.models import Model
from allennlp.predictors.predictor import Predictor

from allennlp_robust_xlt.common.errors import ParameterError
from allennlp_robust_xlt.data.reader_calls import record_call
from allennlp_robust_xlt.evaluation.smoothed_vote_evaluator import vote_json
from allennlp_robust_xlt.evaluation.smoothed_voting import (
    SmoothedVoter,
    Vote,
    VoteNoise,
    vote_noise_from,
)
from allennlp_robust_xlt.pair_classification.predictors.xtreme_pair_classification import (
    XtremePairClassificationPredictor,
)

NAME = "smoothed_pair_classification"


@Predictor.register(NAME)
class SmoothedPairClassificationPredictor(XtremePairClassificationPredictor):
    """
    Registered as a `Predictor` with name "smoothed_pair_classification".

    Predicts by majority vote over `copies` synonym-perturbed copies of each pair (see
    `allennlp_robust_xlt/evaluation/smoothed_voting.py`). Input as for
    `xtreme_pair_classification` (JSON lines with `premise`/`hypothesis` or
    `sentence1`/`sentence2`). Output per line: `label` (the winner), `vote_share` (fraction of
    the copies that voted for it), `votes` (label -> count), `probs` (label -> probability
    averaged over the copies), and the input's `id` when given. `allennlp predict` passes the
    parameters below with `--predictor-args`::

        allennlp predict model.tar.gz pairs.jsonl --include-package allennlp_robust_xlt \\
            --predictor smoothed_pair_classification \\
            --predictor-args '{"neighbors": "neighbors.json", "copies": 10, "seed": 0}'

    The same seed gives the same votes for the same pair, whatever the batch, and the same as
    the `smoothed_vote` evaluator.

    # Parameters

    model, dataset_reader, frozen
        As for every `Predictor` (set by `allennlp predict`).
    neighbors : `str`, optional
        Path or URL of the JSON neighbour table of the input language; required unless `noise`
        is given.
    copies : `int`, optional (default = `10`)
    seed : `int`, optional (default = `0`)
    match : `str`, optional (default = `"exact"`)
        `"exact"` or `"normalized"`, as for the `randomized_smoothing` reader.
    include_original : `bool`, optional (default = `False`)
        Let the clean pair vote too.
    noise : `VoteNoise` or its config dict, optional
        A registered noise source applied inside the forward passes (voting by embedding noise),
        e.g. `{"type": "word_embedding_noise", "scale": 0.01}`; alone or with `neighbors`.
    batch_size : `int`, optional (default = `64`)
        Copies per forward pass (`allennlp predict --batch-size N` sends N pairs at a time).
    """

    def __init__(
        self,
        model: Model,
        dataset_reader: DatasetReader,
        frozen: bool = True,
        neighbors: Optional[str] = None,
        copies: int = 10,
        seed: int = 0,
        match: str = "exact",
        include_original: bool = False,
        noise: Optional[Union[VoteNoise, Dict[str, Any]]] = None,
        batch_size: int = 64,
    ) -> None:
        super().__init__(model, dataset_reader, frozen)
        self._voter = SmoothedVoter(
            model,
            dataset_reader,
            neighbors=neighbors,
            copies=copies,
            seed=seed,
            match=match,
            include_original=include_original,
            noise=_noise_from(noise),
            batch_size=batch_size,
            component=NAME,
        )

    def predict_batch_json(self, inputs: List[JsonDict]) -> List[JsonDict]:
        # The parent's input parsing and checks, recorded instead of tokenized: the voter
        # builds the copies (a `randomized_smoothing` reader passes the call through unchanged).
        calls = [
            record_call(self._dataset_reader, partial(self._json_to_instance, json_dict))
            for json_dict in inputs
        ]
        votes = self._voter.vote(calls)
        labels = self._voter.labels()
        return [
            self._vote_output(json_dict, vote, labels) for json_dict, vote in zip(inputs, votes)
        ]

    def predict_instance(self, instance: Instance) -> JsonDict:
        return self.predict_batch_instance([instance])[0]

    def predict_batch_instance(self, instances: List[Instance]) -> List[JsonDict]:
        raise ParameterError(
            NAME,
            "input",
            "votes over perturbed copies of the raw text, so it reads JSON lines "
            "(do not use --use-dataset-reader)",
        )

    @staticmethod
    def _vote_output(inputs: JsonDict, vote: Vote, labels: Dict[int, str]) -> JsonDict:
        result = vote_json(vote, labels)
        result.pop("gold_label", None)
        result["probs"] = {
            labels.get(index, str(index)): prob for index, prob in enumerate(vote.mean_probs)
        }
        if "id" in inputs:
            result["id"] = inputs["id"]
        return sanitize(result)


def _noise_from(noise: Optional[Union[VoteNoise, Dict[str, Any]]]) -> Optional[VoteNoise]:
    return vote_noise_from(noise, NAME)
