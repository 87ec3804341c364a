from allennlp_robust_xlt.training.adversarial_methods.base import (  # noqa: F401
    AdversarialMethod,
    build_method,
)
from allennlp_robust_xlt.training.adversarial_methods.step import AdversarialStep  # noqa: F401
from allennlp_robust_xlt.training.adversarial_methods.pgd import Pgd  # noqa: F401
from allennlp_robust_xlt.training.adversarial_methods.fgm import Fgm  # noqa: F401
from allennlp_robust_xlt.training.adversarial_methods.freelb import FreeLb  # noqa: F401
from allennlp_robust_xlt.training.adversarial_methods.free import Free  # noqa: F401
from allennlp_robust_xlt.training.adversarial_methods.fast import Fast  # noqa: F401
from allennlp_robust_xlt.training.adversarial_methods.r3f import R3f  # noqa: F401
from allennlp_robust_xlt.training.adversarial_methods.smart import Smart  # noqa: F401
from allennlp_robust_xlt.training.adversarial_methods.vat import Vat  # noqa: F401
