"""
Sentence-pair classification: XNLI and PAWS-X (readers, the `xtreme_pair_classifier` model and its
predictors, download recipes), laid out as allennlp-models' `pair_classification`.
"""

from allennlp_robust_xlt.pair_classification.dataset_readers import *
from allennlp_robust_xlt.pair_classification.models import *
from allennlp_robust_xlt.pair_classification.predictors import *
from allennlp_robust_xlt.pair_classification import download
