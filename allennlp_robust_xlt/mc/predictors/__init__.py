from allennlp_robust_xlt.mc.predictors.xtreme_multiple_choice import (
    XtremeMultipleChoicePredictor,
)
