from typing import Any, Iterator, Tuple

from allennlp.data.dataset_readers.dataset_reader import DatasetReader

from allennlp_robust_xlt.retrieval.dataset_readers.dual_encoder_reader import DualEncoderReader
from allennlp_robust_xlt.retrieval.mewslix import mewslix_pair, mewslix_pairs


@DatasetReader.register("xtreme_mewslix")
class XtremeMewslixReader(DualEncoderReader):
    """
    Registered as a `DatasetReader` with name "xtreme_mewslix".

    Mewsli-X's mention-entity pairs, JSON lines `{"contextual_mention": {"context", "mention"},
    "entity"}` (`wikipedia_pairs-{train,dev}.jsonl`): the query is the mention in its sentence,
    the candidate the entity's description, as `allennlp_robust_xlt/retrieval/mewslix.py` writes
    them. A line that is not JSON or lacks a field is an error naming the file and line.
    `metadata`: `id` (the mention's `example_id`), `entity_id`.

    # Parameters

    transformer_model_name : `str`
    max_query_length : `int`, optional (default = `64`, XTREME's)
    max_candidate_length : `int`, optional (default = `64`, XTREME's)
    **kwargs
        `max_instances` and the other `DatasetReader` parameters.
    """

    task_key = "mewslix"

    def pairs(self, path: str) -> Iterator[Tuple[str, str, Any]]:
        for line, record in mewslix_pairs(path):
            pair = mewslix_pair(record, path, line)
            yield pair.query, pair.entity, {"id": pair.example_id, "entity_id": pair.entity_id}
