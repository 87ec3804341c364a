from allennlp_robust_xlt.retrieval.models.dual_encoder import XtremeDualEncoder  # noqa: F401
