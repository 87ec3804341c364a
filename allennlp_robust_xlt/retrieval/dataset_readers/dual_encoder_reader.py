"""
What the dual-encoder readers (`xtreme_lareqa`, `xtreme_mewslix`) share: (query, candidate) pairs
as the `xtreme_dual_encoder` model consumes them. Not registered.
"""

from typing import Any, Dict, Iterable, Iterator, List, Optional, Union

from allennlp.data.dataset_readers.dataset_reader import DatasetReader, PathOrStr
from allennlp.data.fields import MetadataField, TextField
from allennlp.data.instance import Instance
from allennlp.data.token_indexers import PretrainedTransformerIndexer
from allennlp.data.tokenizers import PretrainedTransformerTokenizer

from allennlp_robust_xlt.common.errors import ParameterError, check_int
from allennlp_robust_xlt.tasks import TASKS, Task


class DualEncoderReader(DatasetReader):
    """
    Instances of `query` and `candidate` `TextField`s, each `[CLS] text [SEP]` (`<s> text </s>`)
    truncated to its own number of sub-words, as `retrieval/sentence_encoder.py` encodes the
    texts at evaluation, and `metadata` (the pair's ids and texts). Reading is lazy and sharded
    across data-loader workers and distributed ranks. Subclasses implement `pairs(path)`, the
    `(query, candidate, metadata)` of a file.

    # Parameters

    transformer_model_name : `str`
        The transformer (Hugging Face name or local directory) whose tokenizer cuts the texts.
    max_query_length : `int`, optional (default = the task table's, XTREME's)
        Sub-words of a query, special tokens included.
    max_candidate_length : `int`, optional (default = the task table's, XTREME's)
        Sub-words of a candidate, special tokens included.
    **kwargs
        `max_instances` and the other `DatasetReader` parameters.
    """

    task_key: str = ""
    """Set by subclasses: the task's row in the task table (its `retrieval` sub-word limits)."""

    @property
    def task(self) -> Task:
        return TASKS[self.task_key]

    def __init__(
        self,
        transformer_model_name: str,
        max_query_length: Optional[int] = None,
        max_candidate_length: Optional[int] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            manual_distributed_sharding=True, manual_multiprocess_sharding=True, **kwargs
        )
        name = type(self).__name__
        given = {"max_query_length": max_query_length, "max_candidate_length": max_candidate_length}
        lengths = {
            key: check_int(name, key, int(self.task.retrieval[key]) if value is None else value, 3)
            for key, value in given.items()
        }
        self._query_tokenizer = PretrainedTransformerTokenizer(
            transformer_model_name, max_length=lengths["max_query_length"]
        )
        self._candidate_tokenizer = PretrainedTransformerTokenizer(
            transformer_model_name, max_length=lengths["max_candidate_length"]
        )
        self._token_indexers = {"tokens": PretrainedTransformerIndexer(transformer_model_name)}

    def _read(self, file_path: Union[PathOrStr, List[PathOrStr]]) -> Iterator[Instance]:
        if isinstance(file_path, dict):
            raise ParameterError(
                type(self).__name__, "data path", "must be a path or a list of paths"
            )
        paths = file_path if isinstance(file_path, (list, tuple)) else [file_path]
        for path in paths:
            for query, candidate, metadata in self.shard_iterable(self.pairs(str(path))):
                yield self.text_to_instance(query, candidate, metadata)

    def pairs(self, path: str) -> Iterable[Any]:
        raise NotImplementedError

    def text_to_instance(  # type: ignore[override]
        self, query: str, candidate: str, metadata: Optional[Dict[str, Any]] = None
    ) -> Instance:
        fields = {
            "query": TextField(self._query_tokenizer.tokenize(query)),
            "candidate": TextField(self._candidate_tokenizer.tokenize(candidate)),
            "metadata": MetadataField(dict(metadata or {}, query=query, candidate=candidate)),
        }
        return Instance(fields)

    def apply_token_indexers(self, instance: Instance) -> None:
        instance["query"].token_indexers = self._token_indexers  # type: ignore[attr-defined]
        instance["candidate"].token_indexers = self._token_indexers  # type: ignore[attr-defined]
