from allennlp_robust_xlt.classification.predictors.xtreme_text_classification import (
    XtremeTextClassificationPredictor,
)

__all__ = ["XtremeTextClassificationPredictor"]
