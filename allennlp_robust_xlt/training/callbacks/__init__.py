from allennlp_robust_xlt.training.callbacks.adversarial_training import AdversarialTrainingCallback
from allennlp_robust_xlt.training.callbacks.random_perturbation import RandomPerturbationCallback
from allennlp_robust_xlt.training.callbacks.rng_state import RngStateCallback
from allennlp_robust_xlt.training.callbacks.unlabeled_consistency import (  # noqa: F401
    UnlabeledConsistencyCallback,
)
