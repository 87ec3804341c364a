"""
allennlp-robust-xlt: robust zero-shot cross-lingual transfer as an AllenNLP plugin.

Importing the package registers every component (readers, model, predictor, trainer callbacks,
subcommands), so both `--include-package allennlp_robust_xlt` and a `.allennlp_plugins` file
that names `allennlp_robust_xlt` work.
"""

from allennlp_robust_xlt.common.config_env import apply_config_env_defaults
from allennlp_robust_xlt.common.cuda_check import install_cuda_check
from allennlp_robust_xlt.common.errors import install_excepthook
from allennlp_robust_xlt.common.run_cleanup import note_serialization_dir
from allennlp_robust_xlt.common.transformers_compat import patch_deberta_v2
from allennlp_robust_xlt.common.safetensors_loading import install_safetensors_loading

apply_config_env_defaults()
install_excepthook()
note_serialization_dir()
install_cuda_check()  # before our modules import AllenNLP's check_for_gpu
patch_deberta_v2()
install_safetensors_loading()  # model directories with model.safetensors only

from allennlp_robust_xlt.data import *  # noqa: E402,F401,F403
from allennlp_robust_xlt.pair_classification import *  # noqa: E402,F401,F403
from allennlp_robust_xlt.mc import *  # noqa: E402,F401,F403
from allennlp_robust_xlt.tagging import *  # noqa: E402,F401,F403
from allennlp_robust_xlt.rc import *  # noqa: E402,F401,F403
from allennlp_robust_xlt.retrieval import *  # noqa: E402,F401,F403
from allennlp_robust_xlt.models import *  # noqa: E402,F401,F403
from allennlp_robust_xlt.evaluation import *  # noqa: E402,F401,F403
from allennlp_robust_xlt.training import *  # noqa: E402,F401,F403
from allennlp_robust_xlt.commands import *  # noqa: E402,F401,F403
from allennlp_robust_xlt.version import VERSION as __version__  # noqa: E402,F401
