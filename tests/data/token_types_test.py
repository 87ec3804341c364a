from pathlib import Path
from typing import Dict

import torch
from allennlp.data.tokenizers import PretrainedTransformerTokenizer

from allennlp_robust_xlt.data.token_types import drop_unused_type_ids, has_token_types


def pair_type_ids(tokenizer: PretrainedTransformerTokenizer):
    tokens = tokenizer.add_special_tokens(tokenizer.tokenize("a b"), tokenizer.tokenize("1 2"))
    return [token.type_id for token in tokens]


def test_mdeberta_pairs_get_type_id_0(encoder_models: Dict[str, Path]):
    path = str(encoder_models["mdeberta"])
    assert not has_token_types(path)
    tokenizer = PretrainedTransformerTokenizer(path, add_special_tokens=False)
    assert 1 in pair_type_ids(tokenizer)  # what DeBERTa-v2's tokenizer gives the second text
    drop_unused_type_ids(tokenizer)
    ids = pair_type_ids(tokenizer)
    assert set(ids) == {0} and len(ids) > 4
    assert tokenizer.sequence_pair_mid_tokens[0].text == "[SEP]"


def test_bert_keeps_its_type_ids(tiny_bert: Path):
    tokenizer = PretrainedTransformerTokenizer(str(tiny_bert), add_special_tokens=False)
    before = pair_type_ids(tokenizer)
    drop_unused_type_ids(tokenizer)
    assert pair_type_ids(tokenizer) == before
    assert set(before) == {0, 1}
    assert torch.tensor(before).sum() > 0
