"""
Analyses for the research questions: language distances (lang2vec) and families, statistics at
small n, per-example results, and the comparison of runs behind `xtreme-compare`.
"""
