"""The `sib200_baseline` config's reader and model on the tiny transformer (untrained)."""

from typing import List, Tuple

from allennlp.common import Params
from allennlp.data import DatasetReader, Instance, Vocabulary
from allennlp.models import Model

from tests import CONFIGS_ROOT, XTREME_DATA


def reader_and_model() -> Tuple[DatasetReader, Model, List[Instance]]:
    params = Params.from_file(str(CONFIGS_ROOT / "sib200_baseline.jsonnet")).as_dict()
    reader = DatasetReader.from_params(Params(params["dataset_reader"]))
    instances = list(reader.read(XTREME_DATA / "sib200" / "eng_Latn" / "train.tsv"))
    model = Model.from_params(
        vocab=Vocabulary.from_instances(instances), params=Params(params["model"])
    )
    model.eval()
    return reader, model, instances
