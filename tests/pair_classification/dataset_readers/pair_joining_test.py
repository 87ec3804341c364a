"""
The reader joins a pair without AllenNLP's deep copies (benchmarks, figure 3); the result must
be exactly what `PretrainedTransformerTokenizer.add_special_tokens` gives.
"""

from pathlib import Path
from typing import List, Tuple

from allennlp.data.token_indexers import PretrainedTransformerIndexer
from allennlp.data.tokenizers import PretrainedTransformerTokenizer, Token

from allennlp_robust_xlt.data.batched_tokenization import truncate_pair
from allennlp_robust_xlt.pair_classification.dataset_readers import XtremeXnliReader
from tests import XTREME_DATA


def described(tokens: List[Token]) -> List[Tuple]:
    return [(t.text, t.text_id, t.type_id, t.idx, t.idx_end) for t in tokens]


def test_join_pair_equals_allennlp_add_special_tokens(tiny_transformer: Path) -> None:
    tokenizer = PretrainedTransformerTokenizer(str(tiny_transformer), add_special_tokens=False)
    reader = XtremeXnliReader(
        tokenizer=tokenizer,
        token_indexers={"tokens": PretrainedTransformerIndexer(str(tiny_transformer))},
    )
    first, second = "The cat sat on the mat.", "A dog barked at 2 cats."
    expected = described(
        tokenizer.add_special_tokens(tokenizer.tokenize(first), tokenizer.tokenize(second))
    )
    assert (
        described(reader.join_pair(tokenizer.tokenize(first), tokenizer.tokenize(second)))
        == expected
    )
    # BERT-style models give the second sentence type id 1; XLM-R-style ones use 0 throughout.
    type_ids = {t[2] for t in expected}
    assert type_ids == ({0, 1} if tokenizer.sequence_pair_second_token_type_id == 1 else {0})


def test_instances_have_the_tokens_allennlp_would_build(tiny_transformer: Path) -> None:
    tokenizer = PretrainedTransformerTokenizer(str(tiny_transformer), add_special_tokens=False)
    reader = XtremeXnliReader(
        tokenizer=tokenizer,
        token_indexers={"tokens": PretrainedTransformerIndexer(str(tiny_transformer))},
        max_length=24,
    )
    lines = (XTREME_DATA / "xnli" / "test-de.tsv").read_text(encoding="utf-8").splitlines()
    for instance, line in zip(reader.read(XTREME_DATA / "xnli" / "test-de.tsv"), lines):
        premise, hypothesis, _ = line.split("\t")
        first, second = truncate_pair(
            tokenizer.tokenize(premise),
            tokenizer.tokenize(hypothesis),
            24 - tokenizer.num_special_tokens_for_pair(),
        )
        assert described(instance["tokens"].tokens) == described(
            tokenizer.add_special_tokens(first, second)
        )
        assert len(instance["tokens"].tokens) <= 24
