"""
Retrieval without fine-tuning: sentence embeddings of a multilingual encoder
(`sentence_encoder`), chunked nearest-neighbour search and margin scoring (`search`), and the
XTREME tasks built on them, Tatoeba (`tatoeba`) and BUCC 2018 (`bucc`), run by the
`xtreme-retrieval` command (`xtreme_retrieval`), and their download recipes (`download`).
Retrieval with fine-tuning (XTREME-R's LAReQA, `lareqa`, and Mewsli-X, `mewslix`): their
readers (`dataset_readers/`), the dual encoder (`models/`), and their mAP@20 (`ranking`), also
scored by `xtreme-retrieval`.
"""

from allennlp_robust_xlt.retrieval import download  # noqa: F401  (registers the recipes)
from allennlp_robust_xlt.retrieval.dataset_readers import *  # noqa: E402,F401,F403
from allennlp_robust_xlt.retrieval.models import *  # noqa: E402,F401,F403
