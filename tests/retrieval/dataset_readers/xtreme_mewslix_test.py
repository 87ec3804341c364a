import json
from pathlib import Path

import pytest

from allennlp_robust_xlt.common.errors import InputFileError
from allennlp_robust_xlt.retrieval.dataset_readers.xtreme_mewslix import XtremeMewslixReader
from tests import XTREME_DATA

PAIRS = XTREME_DATA / "mewslix" / "wikipedia_pairs-train.jsonl"


def test_mentions_and_entity_descriptions(tiny_xlmr: Path):
    reader = XtremeMewslixReader(str(tiny_xlmr))
    instances = list(reader.read(PAIRS))
    assert [i["metadata"]["entity_id"] for i in instances] == ["Q90", "Q64", "Q19675", "Q3783"]
    assert instances[2]["metadata"]["query"] == "Louvre: Crowds queued outside the { Louvre } ."
    assert instances[2]["metadata"]["candidate"] == "The Louvre is an art museum in Paris."
    assert all(len(i["query"].tokens) <= 64 for i in instances)


def test_a_line_missing_a_field_is_one_error(tmp_path: Path, tiny_xlmr: Path):
    record = json.loads(PAIRS.read_text().splitlines()[0])
    del record["contextual_mention"]["mention"]["mention_span"]
    bad = tmp_path / "pairs.jsonl"
    bad.write_text(PAIRS.read_text() + json.dumps(record) + "\n")
    with pytest.raises(
        InputFileError,
        match=r"pairs\.jsonl:5: missing the field 'contextual_mention\.mention\.mention_span'",
    ):
        list(XtremeMewslixReader(str(tiny_xlmr)).read(bad))
