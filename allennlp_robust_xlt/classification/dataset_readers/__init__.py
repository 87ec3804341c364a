from allennlp_robust_xlt.classification.dataset_readers.sib200 import Sib200Reader

__all__ = ["Sib200Reader"]
