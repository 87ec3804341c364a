from allennlp_robust_xlt.training.callbacks.embedding_perturbation import (
    WordEmbeddingPerturbation,
)  # noqa: F401
from allennlp_robust_xlt.training.callbacks.adversarial_training import (
    AdversarialTrainingCallback,
)  # noqa: F401
from allennlp_robust_xlt.training.callbacks.random_perturbation import RandomPerturbationCallback
from allennlp_robust_xlt.training.callbacks.rng_state import RngStateCallback  # noqa: F401
