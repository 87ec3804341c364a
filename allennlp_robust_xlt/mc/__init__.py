"""
Multiple choice: XCOPA and its intermediate task SIQA (readers, the `xtreme_multiple_choice`
model and its predictor, download recipes), laid out as allennlp-models' `mc`.
"""

from allennlp_robust_xlt.mc.dataset_readers import *
from allennlp_robust_xlt.mc.models import *
from allennlp_robust_xlt.mc.predictors import *
from allennlp_robust_xlt.mc import download
