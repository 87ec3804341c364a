"""
Evaluation tools for extractive QA, as XTREME computes them: SQuAD v1.1 and MLQA exact match and
F1 (`squad_evaluation`, `mlqa_evaluation`).
"""

from allennlp_robust_xlt.rc.tools import mlqa_evaluation, squad_evaluation
