from typing import Dict, List

from allennlp.common.util import JsonDict, sanitize
from allennlp.predictors.predictor import Predictor

from allennlp_robust_xlt.evaluation.smoothed_predictor import SmoothedPredictor
from allennlp_robust_xlt.evaluation.smoothed_vote_evaluator import vote_json
from allennlp_robust_xlt.evaluation.smoothed_voting import Vote
from allennlp_robust_xlt.pair_classification.predictors.xtreme_pair_classification import (
    XtremePairClassificationPredictor,
)

NAME = "smoothed_pair_classification"


@Predictor.register(NAME)
class SmoothedPairClassificationPredictor(SmoothedPredictor, XtremePairClassificationPredictor):
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

    model, dataset_reader, frozen, neighbors, copies, seed, match, include_original, noise, batch_size
        Those of `SmoothedPredictor` (`allennlp_robust_xlt/evaluation/smoothed_predictor.py`):
        the neighbour table (required unless `noise` is given), the number of copies, the seed,
        the match mode, whether the clean pair votes too, a vote noise and the copies per
        forward pass.
    """

    NAME = NAME

    def predict_batch_json(self, inputs: List[JsonDict]) -> List[JsonDict]:
        votes = self._voter.vote(self._recorded_calls(inputs))
        labels = self._voter.labels()
        return [
            self._vote_output(json_dict, vote, labels) for json_dict, vote in zip(inputs, votes)
        ]

    @classmethod
    def _vote_output(cls, inputs: JsonDict, vote: Vote, labels: Dict[int, str]) -> JsonDict:
        result = vote_json(vote, labels)
        result.pop("gold_label", None)
        result["probs"] = {
            labels.get(index, str(index)): prob for index, prob in enumerate(vote.mean_probs)
        }
        return sanitize(cls._with_id(inputs, result))
