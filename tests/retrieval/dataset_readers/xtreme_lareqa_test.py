from pathlib import Path

import pytest

from allennlp_robust_xlt.common.errors import ParameterError
from allennlp_robust_xlt.retrieval.dataset_readers.xtreme_lareqa import XtremeLareqaReader
from allennlp_robust_xlt.retrieval.lareqa import candidate_text
from tests import XTREME_DATA


def test_questions_and_answer_sentences_with_their_context(tiny_transformer: Path):
    reader = XtremeLareqaReader(str(tiny_transformer), max_candidate_length=12)
    instances = list(reader.read(XTREME_DATA / "lareqa" / "xquad-r" / "en.json"))
    assert [i["metadata"]["id"] for i in instances] == ["q1", "q2", "q3"]
    third = instances[2]
    assert third["metadata"]["sentence"] == "It has three opera houses."
    assert third["metadata"]["candidate"] == candidate_text(
        "It has three opera houses.", "Berlin is a city in Germany. It has three opera houses."
    )
    special = reader._query_tokenizer.tokenizer
    query = [t.text for t in instances[0]["query"].tokens]
    assert query[0] == special.cls_token and query[-1] == special.sep_token
    assert len(instances[0]["candidate"].tokens) == 12  # truncated, special tokens included
    assert instances[0]["candidate"].tokens[-1].text == special.sep_token
    # SQuAD v1.1 (no sentence_breaks): every question of the training fixture.
    assert len(list(reader.read(XTREME_DATA / "squad" / "train-v1.1.json"))) == 8


def test_lengths_must_hold_the_special_tokens(tiny_xlmr: Path):
    with pytest.raises(ParameterError, match="max_query_length"):
        XtremeLareqaReader(str(tiny_xlmr), max_query_length=2)
    # 0 is a length like any other, not "the default".
    with pytest.raises(ParameterError, match="max_candidate_length"):
        XtremeLareqaReader(str(tiny_xlmr), max_candidate_length=0)


def test_lengths_default_to_the_task_table(tiny_xlmr: Path):
    from allennlp_robust_xlt.retrieval.dataset_readers.xtreme_mewslix import XtremeMewslixReader
    from allennlp_robust_xlt.tasks import TASKS

    for reader_class, key in ((XtremeLareqaReader, "lareqa"), (XtremeMewslixReader, "mewslix")):
        reader = reader_class(str(tiny_xlmr))
        limits = TASKS[key].retrieval
        assert reader._query_tokenizer._max_length == limits["max_query_length"]
        assert reader._candidate_tokenizer._max_length == limits["max_candidate_length"]
