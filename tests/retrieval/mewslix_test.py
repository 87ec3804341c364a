"""
Mewsli-X reading. The queries and entity texts of every fixture line (and a case with braces,
newlines and double spaces) were compared with XTREME's `utils_mewslix.preprocess_mention` and
`preprocess_entity_description` run locally: identical.
"""

import json
from pathlib import Path

import pytest

from allennlp_robust_xlt.common.errors import InputFileError
from allennlp_robust_xlt.retrieval.mewslix import (
    mewslix_pair,
    mewslix_pairs,
    read_candidates,
    read_mentions,
)
from tests import XTREME_DATA

MEWSLIX = XTREME_DATA / "mewslix"


def test_queries_and_entities_are_written_as_xtreme_writes_them():
    pairs = [
        mewslix_pair(r, "f", line)
        for line, r in mewslix_pairs(str(MEWSLIX / "wikipedia_pairs-train.jsonl"))
    ]
    # One sentence of context; braces of the text become parentheses (utils_mewslix.py).
    assert pairs[0].query == "Paris: The team flew to { Paris } on Monday."
    assert pairs[1].query == "Berlin: { Berlin } hosted the (final) match."
    assert (
        pairs[0].entity == "Paris is the capital and largest city of France. It lies on the Seine."
    )
    assert [p.entity_id for p in pairs] == ["Q90", "Q64", "Q19675", "Q3783"]


def test_mentions_gold_from_the_mention_or_the_labels_file():
    ids, texts = read_candidates(str(MEWSLIX / "candidate_set_entities.jsonl"))
    assert ids == ["Q90", "Q64", "Q19675", "Q3783"] and len(texts) == 4
    dev = read_mentions(str(MEWSLIX / "wikinews_mentions" / "dev-en.jsonl"), ids)
    assert dev.example_ids == ["en-1", "en-2"] and dev.gold == [0, 3]
    assert dev.queries[0] == "Paris: The mayor of { Paris } spoke."
    test = MEWSLIX / "wikinews_mentions" / "test-de.jsonl"
    with pytest.raises(InputFileError, match=r"test-de\.jsonl:1: mention de-3 has no entity_id"):
        read_mentions(str(test), ids)
    labels = MEWSLIX / "wikinews_labels" / "test-de.json"
    assert read_mentions(str(test), ids, str(labels)).gold == [0]


def test_bad_lines_name_the_file_and_line(tmp_path: Path):
    lines = (MEWSLIX / "wikipedia_pairs-dev.jsonl").read_text().splitlines()
    record = json.loads(lines[0])
    del record["entity"]["description"]
    bad = tmp_path / "pairs.jsonl"
    bad.write_text(lines[1] + "\n" + json.dumps(record) + "\n")
    with pytest.raises(
        InputFileError, match=r"pairs\.jsonl:2: missing the field 'entity\.description'"
    ):
        [mewslix_pair(r, str(bad), line) for line, r in mewslix_pairs(str(bad))]
    record = json.loads(lines[0])
    record["contextual_mention"]["context"]["sentence_spans"] = [{"start": 0, "end": 20}]
    bad.write_text(json.dumps(record) + "\n")
    with pytest.raises(InputFileError, match=r"pairs\.jsonl:1: mention v1: no sentence"):
        [mewslix_pair(r, str(bad), line) for line, r in mewslix_pairs(str(bad))]
    bad.write_text("{not json\n")
    with pytest.raises(InputFileError, match=r"pairs\.jsonl:1: invalid JSON"):
        list(mewslix_pairs(str(bad)))
    mention = json.loads(
        (MEWSLIX / "wikinews_mentions" / "dev-de.jsonl").read_text().splitlines()[1]
    )
    mention["mention"]["entity_id"] = "Q1"
    bad.write_text(json.dumps(mention) + "\n")
    with pytest.raises(InputFileError, match=r"pairs\.jsonl:1: mention de-2: entity Q1 is not in"):
        read_mentions(str(bad), ["Q90"])
