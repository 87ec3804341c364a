from allennlp.models.basic_classifier import BasicClassifier
from allennlp.models.model import Model


@Model.register("xtreme_pair_classifier")
class XtremePairClassifier(BasicClassifier):
    """
    Registered as a `Model` with name "xtreme_pair_classifier".

    AllenNLP's `basic_classifier`, unchanged, except that its default predictor is
    `xtreme_pair_classification`, so `allennlp predict model.tar.gz pairs.jsonl` reads
    premise/hypothesis pairs without a `--predictor` flag. Its parameters are those of
    `basic_classifier`: `text_field_embedder`, `seq2vec_encoder`, `seq2seq_encoder`,
    `feedforward`, `dropout`, `num_labels`, `label_namespace`, `namespace` (set it to `"tags"`
    with a `pretrained_transformer` indexer), and `initializer`.
    """

    default_predictor = "xtreme_pair_classification"
