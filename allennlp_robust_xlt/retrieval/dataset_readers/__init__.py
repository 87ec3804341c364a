from allennlp_robust_xlt.retrieval.dataset_readers.xtreme_lareqa import (  # noqa: F401
    XtremeLareqaReader,
)
from allennlp_robust_xlt.retrieval.dataset_readers.xtreme_mewslix import (  # noqa: F401
    XtremeMewslixReader,
)
