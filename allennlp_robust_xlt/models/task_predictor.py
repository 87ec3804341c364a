from typing import Any

from allennlp.data import DatasetReader
from allennlp.models import Model
from allennlp.predictors.predictor import Predictor

from allennlp_robust_xlt.common.errors import RobustXltError

NAME = "task_predictor"


@Predictor.register(NAME)
class TaskPredictor(Predictor):
    """
    Registered as a `Predictor` with name "task_predictor"; the default predictor of the models
    that serve a task through another model or head (`xtreme_multitask`: its target task;
    `parallel_objectives`: its task model). AllenNLP takes a model's default predictor from its
    class, so `allennlp predict model.tar.gz ...` without `--predictor` comes here, and this
    builds the task's own predictor (the name in the model's `task_predictor` attribute, e.g.
    `xtreme_pair_classification`) for the model and reader it is given: calling
    `TaskPredictor(model, reader)` returns that predictor. Its parameters are the task
    predictor's (`model`, `dataset_reader`, `frozen`, ...).
    """

    def __new__(  # type: ignore[misc]
        cls, model: Model, dataset_reader: DatasetReader, *args: Any, **kwargs: Any
    ) -> Predictor:
        name = getattr(model, "task_predictor", None)
        if not name or name == NAME:
            raise RobustXltError(
                f"{NAME}: the model {type(model).__name__} names no predictor of its task; give"
                " one with --predictor"
            )
        return Predictor.by_name(name)(model, dataset_reader, *args, **kwargs)
