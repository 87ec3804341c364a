from allennlp_robust_xlt.training.callbacks import *  # noqa: F401,F403
from allennlp_robust_xlt.training.adversarial_methods import *  # noqa: F401,F403
