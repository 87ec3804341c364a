from allennlp.models.model import Model

from allennlp_robust_xlt.pair_classification.models.xtreme_pair_classifier import (
    XtremePairClassifier,
)


@Model.register("xtreme_text_classifier")
class XtremeTextClassifier(XtremePairClassifier):
    """
    Registered as a `Model` with name "xtreme_text_classifier".

    The `xtreme_pair_classifier` (AllenNLP's `basic_classifier` with per-example results for
    `xtreme-report`, multitask and intermediate-archive support) on one text: its input is the
    `tokens` field of a single-text reader such as `sib200`, and its default predictor is
    `xtreme_text_classification` (`{"text"}` -> `{"label"}`). Its parameters are the pair
    classifier's: `text_field_embedder`, `seq2vec_encoder`, `seq2seq_encoder`, `feedforward`,
    `dropout`, `num_labels`, `label_namespace`, `namespace`, `initializer` and
    `transformer_model`.
    """

    default_predictor = "xtreme_text_classification"
