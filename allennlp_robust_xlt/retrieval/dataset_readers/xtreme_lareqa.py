from typing import Any, Iterator, Tuple

from allennlp.data.dataset_readers.dataset_reader import DatasetReader

from allennlp_robust_xlt.common.files import local_input
from allennlp_robust_xlt.retrieval.dataset_readers.dual_encoder_reader import DualEncoderReader
from allennlp_robust_xlt.retrieval.lareqa import candidate_text, lareqa_pairs


@DatasetReader.register("xtreme_lareqa")
class XtremeLareqaReader(DualEncoderReader):
    """
    Registered as a `DatasetReader` with name "xtreme_lareqa".

    LAReQA's training pairs from a SQuAD-format file (SQuAD v1.1, or XQuAD-R's files, whose
    paragraphs have `sentence_breaks`): each question, and as its candidate the sentence holding
    its answer followed by the paragraph (`allennlp_robust_xlt/retrieval/lareqa.py`, which says
    how sentences are cut and which questions are skipped). `metadata`: `id`, `question`,
    `sentence`.

    # Parameters

    transformer_model_name : `str`
    max_query_length : `int`, optional (default = `96`, XTREME's)
    max_candidate_length : `int`, optional (default = `256`, XTREME's)
    **kwargs
        `max_instances` and the other `DatasetReader` parameters.
    """

    task_key = "lareqa"

    def pairs(self, path: str) -> Iterator[Tuple[str, str, Any]]:
        for pair in lareqa_pairs(local_input(path), display_path=path):
            metadata = {"id": pair.question_id, "sentence": pair.sentence}
            yield pair.question, candidate_text(pair.sentence, pair.context), metadata
