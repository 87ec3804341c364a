"""
`SmoothedPredictor`: the base of the three smoothed predictors (`smoothed_pair_classification`,
`smoothed_tagging`, `smoothed_transformer_qa`), which predict by a vote over perturbed copies of
each input (see `evaluation/smoothed_voting.py`). Not registered itself.
"""

from functools import partial
from typing import Any, Dict, List, Optional, Union

from allennlp.common.util import JsonDict
from allennlp.data import DatasetReader, Instance
from allennlp.models import Model
from allennlp.predictors.predictor import Predictor

from allennlp_robust_xlt.common.errors import ParameterError
from allennlp_robust_xlt.data.reader_calls import TextToInstanceCall, record_call
from allennlp_robust_xlt.evaluation.smoothed_voting import SmoothedVoter, VoteNoise, vote_noise_from


class SmoothedPredictor(Predictor):
    """
    Put before the family's own predictor among the bases (`class P(SmoothedPredictor,
    XtremeXPredictor)`): it reads JSON lines only (the copies are made from the raw text), and
    its `__init__` takes the voting parameters of the `smoothed_vote` evaluator and builds the
    `SmoothedVoter` (`self._voter`) over the family predictor's `_json_to_instance`.

    Class attributes: `NAME` (the registered name, for errors), `RAW_INPUT` (what the copies
    perturb, for the error on `--use-dataset-reader`), `TEXT_ARGUMENTS` (the perturbed arguments
    of the reader's `text_to_instance`; None: the voter's default).

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
        Let the clean input vote too.
    noise : `VoteNoise` or its config dict, optional
        A registered noise source applied inside the forward passes (voting by embedding noise),
        e.g. `{"type": "word_embedding_noise", "scale": 0.01}`; alone or with `neighbors`.
    batch_size : `int`, optional (default = `64`)
        Copies per forward pass.
    """

    NAME = "smoothed predictor"
    RAW_INPUT = "text"
    TEXT_ARGUMENTS: Optional[List[str]] = None

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
            noise=vote_noise_from(noise, self.NAME),
            batch_size=batch_size,
            text_arguments=self.TEXT_ARGUMENTS,
            component=self.NAME,
        )

    def _recorded_calls(self, inputs: List[JsonDict]) -> List[TextToInstanceCall]:
        """
        Each input parsed and checked as the family predictor does, its reader call recorded
        instead of run: the voter builds the copies from it.
        """
        return [
            record_call(self._dataset_reader, partial(self._json_to_instance, json_dict))
            for json_dict in inputs
        ]

    @staticmethod
    def _with_id(inputs: JsonDict, result: Dict[str, Any]) -> Dict[str, Any]:
        """`result` with the input's `id`, when it has one."""
        if "id" in inputs:
            result["id"] = inputs["id"]
        return result

    def predict_instance(self, instance: Instance) -> JsonDict:
        return self.predict_batch_instance([instance])[0]

    def predict_batch_instance(self, instances: List[Instance]) -> List[JsonDict]:
        raise ParameterError(
            self.NAME,
            "input",
            f"votes over perturbed copies of the raw {self.RAW_INPUT}, so it reads JSON lines"
            " (do not use --use-dataset-reader)",
        )
