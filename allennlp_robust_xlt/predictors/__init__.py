from allennlp_robust_xlt.predictors.xtreme_pair_classification import (
    XtremePairClassificationPredictor,
)
from allennlp_robust_xlt.predictors.smoothed_pair_classification import (
    SmoothedPairClassificationPredictor,
)
