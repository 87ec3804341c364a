from allennlp_robust_xlt.pair_classification.models.xtreme_pair_classifier import (
    XtremePairClassifier,
)
