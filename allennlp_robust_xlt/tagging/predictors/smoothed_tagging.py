from functools import partial
from typing import Any, Dict, List, Optional, Union

from allennlp.common.util import JsonDict, sanitize
from allennlp.data import DatasetReader, Instance
from allennlp.models import Model
from allennlp.predictors.predictor import Predictor

from allennlp_robust_xlt.common.errors import ParameterError
from allennlp_robust_xlt.data.reader_calls import record_call
from allennlp_robust_xlt.evaluation.smoothed_voting import SmoothedVoter, VoteNoise, vote_noise_from
from allennlp_robust_xlt.tagging.predictors.xtreme_tagging import XtremeTaggingPredictor, words_of

NAME = "smoothed_tagging"


@Predictor.register(NAME)
class SmoothedTaggingPredictor(XtremeTaggingPredictor):
    """
    Registered as a `Predictor` with name "smoothed_tagging".

    Tags each word by majority vote over `copies` perturbed copies of the sentence
    (`SmoothedVoter.vote_per_position`, `allennlp_robust_xlt/evaluation/smoothed_voting.py`):
    synonym substitution replaces whole words one for one (RS-DA's law), so every copy has the
    sentence's words' positions, and each word gets the tag most copies gave it (ties: the higher
    mean probability). Input as for `xtreme_tagging` (`{"words": [...]}` or `{"sentence": ...}`,
    optional `id`). Output per line: `words`, `tags`, `vote_shares` (per word, the fraction of
    the copies that voted for its tag) and the input's `id` when given::

        allennlp predict model.tar.gz sentences.jsonl --include-package allennlp_robust_xlt \\
            --predictor smoothed_tagging \\
            --predictor-args '{"neighbors": "neighbors.json", "copies": 10, "seed": 0}'

    The same seed gives the same votes for the same sentence, whatever the batch.

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
        Let the clean sentence vote too.
    noise : `VoteNoise` or its config dict, optional
        A registered noise source applied inside the forward passes, e.g.
        `{"type": "word_embedding_noise", "scale": 0.01}`; alone or with `neighbors`.
    batch_size : `int`, optional (default = `64`)
        Copies per forward pass.
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
            noise=vote_noise_from(noise, NAME),
            batch_size=batch_size,
            text_arguments=["words"],
            component=NAME,
        )

    def predict_batch_json(self, inputs: List[JsonDict]) -> List[JsonDict]:
        calls = [
            record_call(self._dataset_reader, partial(self._json_to_instance, json_dict))
            for json_dict in inputs
        ]
        labels = self._voter.labels()
        results = []
        for json_dict, votes in zip(inputs, self._voter.vote_per_position(calls)):
            result: Dict[str, Any] = {
                "words": words_of(json_dict),
                "tags": [labels[vote.label_index] for vote in votes],
                "vote_shares": [vote.share for vote in votes],
            }
            if "id" in json_dict:
                result["id"] = json_dict["id"]
            results.append(result)
        return sanitize(results)

    def predict_batch_instance(self, instances: List[Instance]) -> List[JsonDict]:
        raise ParameterError(
            NAME,
            "input",
            "votes over perturbed copies of the raw words, so it reads JSON lines "
            "(do not use --use-dataset-reader)",
        )
