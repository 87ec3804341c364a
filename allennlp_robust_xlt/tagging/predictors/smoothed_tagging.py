from typing import Any, Dict, List

from allennlp.common.util import JsonDict, sanitize
from allennlp.predictors.predictor import Predictor

from allennlp_robust_xlt.evaluation.smoothed_predictor import SmoothedPredictor
from allennlp_robust_xlt.tagging.predictors.xtreme_tagging import XtremeTaggingPredictor, words_of

NAME = "smoothed_tagging"


@Predictor.register(NAME)
class SmoothedTaggingPredictor(SmoothedPredictor, XtremeTaggingPredictor):
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

    model, dataset_reader, frozen, neighbors, copies, seed, match, include_original, noise, batch_size
        Those of `SmoothedPredictor` (`allennlp_robust_xlt/evaluation/smoothed_predictor.py`):
        the neighbour table (required unless `noise` is given), the number of copies, the seed,
        the match mode, whether the clean sentence votes too, a vote noise and the copies per
        forward pass.
    """

    NAME = NAME
    RAW_INPUT = "words"
    TEXT_ARGUMENTS = ["words"]

    def predict_batch_json(self, inputs: List[JsonDict]) -> List[JsonDict]:
        labels = self._voter.labels()
        results = []
        for json_dict, votes in zip(
            inputs, self._voter.vote_per_position(self._recorded_calls(inputs))
        ):
            result: Dict[str, Any] = {
                "words": words_of(json_dict),
                "tags": [labels[vote.label_index] for vote in votes],
                "vote_shares": [vote.share for vote in votes],
            }
            results.append(self._with_id(json_dict, result))
        return sanitize(results)
