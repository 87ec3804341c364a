"""
`build-neighbors --bilingual`: MUSE-format dictionaries into a table of translations, and its two
uses, end to end on the demo's synthetic world (`data/synthetic_xlt.py`), whose translations are
known: code-switched RS-DA (CoSDA-ML) and the code-mixing attack (`synonym_attack`).
"""

import json
from pathlib import Path
from typing import Dict

import pytest

from allennlp_robust_xlt.common.errors import InputFileError, ParameterError
from allennlp_robust_xlt.data.dataset_readers import RandomizedSmoothingReader
from allennlp_robust_xlt.data.neighbor_tables import bilingual_neighbors, dictionary_files
from allennlp_robust_xlt.data.synthetic_xlt import (
    TRAINING_OVERRIDES,
    SyntheticXlt,
    SyntheticXltConfig,
    write_benchmark,
)
from allennlp_robust_xlt.pair_classification.dataset_readers import XtremePawsxReader
from allennlp_robust_xlt.testing.cli import run_allennlp
from tests import CONFIGS_ROOT

WORLD = SyntheticXltConfig(
    seed=0, num_groups=40, train_size=64, dev_size=16, test_size=24, misalignments=(0.5, 1.0)
)


def write_muse(world: SyntheticXlt, directory: Path) -> Dict[str, Path]:
    """The world's dictionaries as MUSE writes them: `en-qaa.txt`, `en-qab.txt`, one pair a line.
    In `qab`'s, a word with a synonym has a second line: the translation of that synonym."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = {}
    for code, translations in world.targets.items():
        lines = []
        for word, translation in translations.items():
            lines.append(f"{word} {translation}")
            synonym = world.synonym_of[word]
            if code == "qab" and synonym is not None:
                lines.append(f"{word}\t{translations[synonym]}")
        paths[code] = directory / f"en-{code}.txt"
        paths[code].write_text("\n".join(lines) + "\n", encoding="utf-8")
    return paths


def test_dictionaries_make_a_table_of_translations(tmp_path: Path):
    muse = tmp_path / "muse"
    muse.mkdir()
    (muse / "en-de.txt").write_text("cat katze\ncat kater\ncat katze\nparis paris\n")
    (muse / "en-de.5000-6500.txt").write_text("dog hund\n")
    (muse / "en-fr.txt").write_text("cat\tchat\ndog chien\n")
    (muse / "de-en.txt").write_text("katze cat\n")  # another source language: not read
    output = tmp_path / "table.json"
    run_allennlp("build-neighbors", "--bilingual", str(muse), str(output))
    assert json.loads(output.read_text()) == {
        "cat": ["katze", "kater", "chat"],
        "paris": [],
        "dog": ["hund", "chien"],
    }
    files = dictionary_files(str(muse), languages=["fr", "de"])
    assert list(files) == ["fr", "de"]
    assert bilingual_neighbors(files, k=1) == {
        "cat": ["chat", "katze"],
        "dog": ["chien", "hund"],
        "paris": [],
    }
    assert list(dictionary_files(str(muse / "en-fr.txt"))) == ["fr"]


def test_bad_dictionaries_are_one_line(tmp_path: Path):
    muse = tmp_path / "muse"
    muse.mkdir()
    (muse / "en-de.txt").write_text("cat katze\n\nmaus\n")
    output = str(tmp_path / "table.json")
    with pytest.raises(InputFileError) as caught:
        run_allennlp("build-neighbors", "--bilingual", str(muse), output)
    assert str(caught.value) == (
        f"{muse / 'en-de.txt'}:3: expected a word and its translation separated by a space or a"
        " tab, found 1 field(s)"
    )
    with pytest.raises(InputFileError, match="en-sw.txt: file not found: --languages lists 'sw'"):
        run_allennlp("build-neighbors", "--bilingual", str(muse), output, "--languages", "de,sw")
    with pytest.raises(InputFileError, match="holds no xx-\\{tgt\\}.txt dictionary"):
        run_allennlp("build-neighbors", "--bilingual", str(muse), output, "--source", "xx")
    with pytest.raises(ParameterError, match="'--threshold' is not used with --bilingual"):
        run_allennlp("build-neighbors", "--bilingual", str(muse), output, "--threshold", "0.5")
    with pytest.raises(ParameterError, match="'--languages' is only used with --bilingual"):
        run_allennlp("build-neighbors", str(muse / "en-de.txt"), output, "--languages", "de")
    assert not Path(output).exists()


def test_code_switching_on_the_synthetic_world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    benchmark = tmp_path / "benchmark"
    world = write_benchmark(benchmark, WORLD)
    write_muse(world, tmp_path / "muse")
    table_path = tmp_path / "en-qaa-qab.json"
    run_allennlp(
        "build-neighbors", "--bilingual", str(tmp_path / "muse"), str(table_path),
        "--languages", "qaa,qab",
    )  # fmt: skip
    table = json.loads(table_path.read_text())
    for word in world.source_words:
        expected = [world.targets["qaa"][word], world.targets["qab"][word]]
        if world.synonym_of[word] is not None:
            expected.append(world.targets["qab"][world.synonym_of[word]])
        assert table[word] == expected
    translation_of = {
        target: word for code in world.targets for word, target in world.targets[code].items()
    }
    # RS-DA with the table: English training pairs with words switched to their translations.
    reader = RandomizedSmoothingReader(
        XtremePawsxReader(), neighbors=str(table_path), copies=2, seed=3
    )
    switched = 0
    for instance in reader.read(str(benchmark / "pawsx" / "train-en.tsv")):
        words = instance["metadata"]["premise"].split(" ")
        assert all(w in world.group_of or w in translation_of for w in words)
        switched += sum(w in translation_of for w in words)
    assert switched > 100
    # ... which trains as the RS-DA config does, and the code-mixing attack on its model.
    monkeypatch.setenv("XLT_TRANSFORMER", str(benchmark / "encoder"))
    monkeypatch.setenv("XLT_TRANSFORMER_DIM", str(WORLD.hidden_size))
    monkeypatch.setenv("XLT_DATA_DIR", str(benchmark))
    run = tmp_path / "cosda"
    overrides = {
        **TRAINING_OVERRIDES,
        "trainer.num_epochs": 1,
        "dataset_reader.neighbors": str(table_path),
        "dataset_reader.copies": 2,
    }
    run_allennlp(
        "train", str(CONFIGS_ROOT / "pawsx_rs_da.jsonnet"), "-s", str(run),
        "-o", json.dumps(overrides),
    )  # fmt: skip
    scores = tmp_path / "attack.json"
    attack = {"type": "synonym_attack", "neighbors": str(table_path), "budget": 2}
    run_allennlp(
        "evaluate", str(run / "model.tar.gz"), str(benchmark / "pawsx" / "test-en.tsv"),
        "--output-file", str(scores), "-o", json.dumps({"evaluation": attack}),
    )  # fmt: skip
    results = json.loads(scores.read_text())
    assert 0 < results["substitutions"] <= 2
    assert results["attacked_accuracy"] <= results["accuracy"]
