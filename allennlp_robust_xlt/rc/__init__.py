"""
Extractive question answering: SQuAD v1.1 (training), XQuAD, MLQA (with its generalized
setting) and TyDiQA-GoldP, as XTREME runs them (readers, the `xtreme_transformer_qa` model and its
predictors, metrics, download recipes), laid out as allennlp-models' `rc`; `rc/tools/` has the
official metrics, XTREME's windows and its answer selection.
"""

from allennlp_robust_xlt.rc.dataset_readers import *
from allennlp_robust_xlt.rc.models import *
from allennlp_robust_xlt.rc.predictors import *
from allennlp_robust_xlt.rc import download
