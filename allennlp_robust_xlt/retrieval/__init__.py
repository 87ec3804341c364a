"""
Retrieval without fine-tuning: sentence embeddings of a multilingual encoder
(`sentence_encoder`), chunked nearest-neighbour search and margin scoring (`search`), and the
XTREME tasks built on them, Tatoeba (`tatoeba`) and BUCC 2018 (`bucc`), run by the
`xtreme-retrieval` command (`xtreme_retrieval`), and their download recipes (`download`).
"""

from allennlp_robust_xlt.retrieval import download  # noqa: F401  (registers the recipes)
