"""
The QA readers' tokenization as it was before they read in batches (one `transformers` call per
question and per context): the reference the batched reading is checked against (tests) and
timed against (`benchmarks/family_reading.py`).
"""

from typing import Any, List, Optional, Tuple

import numpy as np
from allennlp.data.tokenizers import Token

from allennlp_robust_xlt.rc.dataset_readers.xtreme_qa_reader import XtremeQaReader, xtreme_words


class OneAtATime:
    """One `transformers` call per question and per context of `reader`'s tokenizer."""

    def __init__(self, reader: XtremeQaReader) -> None:
        self.hf = reader._hf_tokenizer
        self.max_query_length = reader._max_query_length

    def questions(self, questions: List[str]) -> List[List[int]]:
        return [
            self.hf(
                question,
                add_special_tokens=False,
                truncation=True,
                max_length=self.max_query_length,
            )["input_ids"]
            for question in questions
        ]

    def context(self, context: str) -> Tuple[List[int], np.ndarray]:
        words = xtreme_words(context)
        if not words:
            return [], np.zeros((0, 2), dtype=np.int64)
        encoding = self.hf(
            [context[start:end] for start, end in words],
            add_special_tokens=False,
            is_split_into_words=True,
            return_offsets_mapping=True,
            verbose=False,
        )
        word_starts = np.array([start for start, _ in words], dtype=np.int64)
        word_ids = np.array(encoding.word_ids(), dtype=np.int64)
        offsets = np.array(encoding["offset_mapping"], dtype=np.int64).reshape(-1, 2)
        return list(encoding["input_ids"]), offsets + word_starts[word_ids][:, None]

    def id_tokens(self, ids: List[int], type_id: Optional[int]) -> List[Token]:
        texts = self.hf.convert_ids_to_tokens(ids)
        return [Token(text, text_id=index, type_id=type_id) for text, index in zip(texts, ids)]


def read_one_at_a_time(reader: Any) -> Any:
    """`reader` (an `XtremeQaReader`) made to tokenize one text at a time; returns it."""
    old = OneAtATime(reader)
    reader.prefetch_examples = lambda examples: None
    reader._question_subwords_batch = old.questions
    reader._context_subwords = old.context
    reader._batched = old
    return reader
