"""
Tools for extractive QA, as XTREME computes them: SQuAD v1.1 and MLQA exact match and F1
(`squad_evaluation`, `mlqa_evaluation`) and the windows over long contexts (`context_windows`).
"""

from allennlp_robust_xlt.rc.tools import context_windows, mlqa_evaluation, squad_evaluation
