"""
Tagging: UD-POS and PAN-X (readers, the `xtreme_tagger` model with seqeval's metrics, its
predictors, download recipes), laid out as allennlp-models' `tagging`.
"""

from allennlp_robust_xlt.tagging.dataset_readers import *
from allennlp_robust_xlt.tagging.metrics import *
from allennlp_robust_xlt.tagging.models import *
from allennlp_robust_xlt.tagging.predictors import *
from allennlp_robust_xlt.tagging import download
