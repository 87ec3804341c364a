"""
Tools for extractive QA, as XTREME computes them: SQuAD v1.1 and MLQA exact match and F1
(`squad_evaluation`, `mlqa_evaluation`), the windows over long contexts (`context_windows`) and
the choice of one answer over a question's windows (`answer_selection`).
"""

from allennlp_robust_xlt.rc.tools import (
    answer_selection,
    context_windows,
    mlqa_evaluation,
    squad_evaluation,
)
