"""Figure 6's data and contenders (no timing here): valid files, and both readers of each family
give the same instances on them, so that the figure compares the same work."""

from pathlib import Path

from allennlp.data.tokenizers import Token

from allennlp_robust_xlt.rc.dataset_readers.squad_files import read_squad_file
from benchmarks import family_reading


def described(instance) -> list:  # type: ignore[no-untyped-def]
    """Every attribute of every token of every text field, and the metadata."""
    fields = []
    for name, field in sorted(instance.fields.items()):
        texts = field if name in ("alternatives", "windows") else [field]
        for text in texts:
            if hasattr(text, "tokens"):
                fields.append(
                    [tuple(getattr(t, slot) for slot in Token.__slots__) for t in text.tokens]
                )
    metadata = dict(instance["metadata"].metadata)
    for key in ("offsets", "max_context"):
        if key in metadata:
            metadata[key] = [array.tolist() for array in metadata[key]]
    return [fields, metadata]


def test_files_are_valid_and_both_readers_agree(tiny_xlmr: Path, tmp_path: Path) -> None:
    model = str(tiny_xlmr)
    tagging = family_reading.tagging_file(tmp_path / "train-en.tsv", 60)
    squad = family_reading.qa_file(tmp_path / "train-v1.1.json", 10)
    siqa = family_reading.siqa_file(tmp_path / "siqa.jsonl", 20)
    assert len(read_squad_file(str(squad))) == 10  # every answer at its offset
    words = [line.split("\t")[0] for line in tagging.read_text().splitlines() if line]
    assert len(set(words)) > len(words) / 5  # new words keep appearing
    for make, path, count in (
        (family_reading.tagging_reader, tagging, 60),
        (family_reading.qa_reader, squad, 10),
        (family_reading.mc_reader, siqa, 20),
    ):
        new = [described(i) for i in make(model).read(str(path))]
        old = [described(i) for i in make(model, batched=False).read(str(path))]
        assert len(new) == count and new == old, path
    # The batched encodes see every input.
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model)
    assert family_reading.tagging_encode(tokenizer, tagging)() == 60
    assert family_reading.qa_encode(tokenizer, squad)() == 10
    assert family_reading.mc_encode(tokenizer, siqa)() == 20
