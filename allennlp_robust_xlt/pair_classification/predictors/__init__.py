from allennlp_robust_xlt.pair_classification.predictors.xtreme_pair_classification import (
    XtremePairClassificationPredictor,
)
from allennlp_robust_xlt.pair_classification.predictors.smoothed_pair_classification import (
    SmoothedPairClassificationPredictor,
)
