"""
Token type ids only for transformers that have token type embeddings.

AllenNLP's `PretrainedTransformerTokenizer` gives the second text of a pair the type id that the
Hugging Face tokenizer gives it. DeBERTa-v2's tokenizer (mDeBERTa-v3) gives 1, but the model has
no token type embeddings (`type_vocab_size` 0; transformers ignores the ids), and AllenNLP's
`pretrained_transformer` embedder then stops with "Found type ids too large for the chosen
transformer model". `drop_unused_type_ids` makes every type id of such a tokenizer 0, which is
what the model computes with anyway; readers of pairs call it on their tokenizer.
"""

import dataclasses
import logging
from typing import Optional

from allennlp.data.tokenizers import PretrainedTransformerTokenizer, Tokenizer
from transformers import AutoConfig

logger = logging.getLogger(__name__)


def has_token_types(model_name: str) -> bool:
    """Whether the transformer's config gives it token type embeddings (`type_vocab_size` > 1)."""
    try:
        config = AutoConfig.from_pretrained(model_name)
    except (OSError, ValueError):
        return True  # leave the ids alone; loading the model itself will name the problem
    return int(getattr(config, "type_vocab_size", 0) or 0) > 1


def drop_unused_type_ids(tokenizer: Optional[Tokenizer]) -> None:
    """
    For a `pretrained_transformer` tokenizer of a transformer without token type embeddings:
    every pair type id (of the texts and of the special tokens) becomes 0, in place.
    """
    if not isinstance(tokenizer, PretrainedTransformerTokenizer):
        return
    if not tokenizer.sequence_pair_second_token_type_id:
        return  # every id is 0 already (XLM-R, T5, ...)
    if has_token_types(tokenizer.tokenizer.name_or_path):
        return
    tokenizer.sequence_pair_first_token_type_id = 0
    tokenizer.sequence_pair_second_token_type_id = 0
    for name in (
        "sequence_pair_start_tokens",
        "sequence_pair_mid_tokens",
        "sequence_pair_end_tokens",
    ):
        tokens = getattr(tokenizer, name)
        setattr(tokenizer, name, [dataclasses.replace(token, type_id=0) for token in tokens])
    logger.info(
        "%s has no token type embeddings: every type id is 0", tokenizer.tokenizer.name_or_path
    )
