from allennlp_robust_xlt.data.data_loaders import *  # noqa: F401,F403
from allennlp_robust_xlt.data.dataset_readers import *  # noqa: F401,F403
from allennlp_robust_xlt.data.token_indexers import *  # noqa: F401,F403
