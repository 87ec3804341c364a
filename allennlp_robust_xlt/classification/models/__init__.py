from allennlp_robust_xlt.classification.models.xtreme_text_classifier import XtremeTextClassifier

__all__ = ["XtremeTextClassifier"]
