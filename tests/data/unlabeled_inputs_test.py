"""Reading unlabelled target-language files and dealing them as batches (`data/unlabeled_inputs.py`)."""

from pathlib import Path

import pytest
from allennlp.data import Vocabulary

from allennlp_robust_xlt.common.errors import InputFileError
from allennlp_robust_xlt.data.unlabeled_inputs import (
    UnlabeledBatches,
    parse_languages,
    read_unlabeled,
    unlabeled_files,
)
from allennlp_robust_xlt.pair_classification.dataset_readers import XtremeXnliReader
from allennlp_robust_xlt.tagging.dataset_readers import XtremeUdposReader
from tests import DATA_ROOT

UNLABELED = DATA_ROOT / "unlabeled"


def test_languages_and_files():
    assert parse_languages(" de, ,fr ") == ["de", "fr"]
    assert parse_languages("") is None and parse_languages(None) is None
    files = unlabeled_files(str(UNLABELED / "pairs"), ".tsv")
    assert list(files) == ["de", "fr", "zh"]
    assert list(unlabeled_files(str(UNLABELED / "pairs"), ".tsv", "zh,de")) == ["zh", "de"]


def test_pairs_and_sentences_are_read_by_the_task_readers_without_labels():
    pairs = read_unlabeled(XtremeXnliReader(), unlabeled_files(str(UNLABELED / "pairs"), ".tsv"))
    assert len(pairs) == 36
    assert {instance["metadata"]["language"] for instance in pairs} == {"de", "fr", "zh"}
    assert all("label" not in instance.fields for instance in pairs)
    sentences = read_unlabeled(
        XtremeUdposReader(), unlabeled_files(str(UNLABELED / "tagging"), ".tsv", "de"), 2
    )
    assert [instance["metadata"]["words"][:2] for instance in sentences] == [
        ["Der", "alte"], ["Wir", "haben"],
    ]  # fmt: skip
    assert all(instance["metadata"]["path"] is None for instance in sentences)
    assert all("tags" not in instance.fields for instance in sentences)


def test_a_bad_line_names_its_file_and_line(tmp_path: Path):
    (tmp_path / "de.tsv").write_text("Ein Satz.\tNoch einer.\nnur eine Spalte\n", encoding="utf-8")
    with pytest.raises(InputFileError, match=f"^{tmp_path / 'de.tsv'}:2: "):
        read_unlabeled(XtremeXnliReader(), unlabeled_files(str(tmp_path), ".tsv"))


def test_batches_cycle_through_every_instance_in_a_seeded_order():
    instances = read_unlabeled(
        XtremeXnliReader(), unlabeled_files(str(UNLABELED / "pairs"), ".tsv", "de")
    )
    vocab = Vocabulary.from_instances(instances)

    def ids(seed: int):
        batches = UnlabeledBatches(instances, vocab, batch_size=5, seed=seed)
        return [[m["id"] for m in next(batches)["metadata"]] for _ in range(6)]

    first = ids(0)
    assert [len(batch) for batch in first] == [5, 5, 2, 5, 5, 2]  # 12 pairs per pass
    assert (
        sorted(sum(first[:3], []))
        == sorted(sum(first[3:], []))
        == sorted(str(n) for n in range(1, 13))
    )
    assert first == ids(0) and first != ids(1)
