from allennlp_robust_xlt.data.token_indexers.pretrained_transformer_mismatched_batched import (
    PretrainedTransformerMismatchedBatchedIndexer,
)
