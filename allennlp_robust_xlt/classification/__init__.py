"""
Single-text classification: SIB-200 (the `sib200` reader, the `xtreme_text_classifier` model and
its `xtreme_text_classification` predictor, the download recipe), laid out as allennlp-models'
task packages.
"""

from allennlp_robust_xlt.classification.dataset_readers import *
from allennlp_robust_xlt.classification.models import *
from allennlp_robust_xlt.classification.predictors import *
from allennlp_robust_xlt.classification import download
