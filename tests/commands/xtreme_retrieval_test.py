"""`xtreme-retrieval` end to end, through AllenNLP's command line, on the tiny local models."""

import csv
import json
from pathlib import Path
from typing import Dict, List, Tuple

import pytest
import torch
from allennlp.models.archival import load_archive
from transformers import AutoModel, AutoTokenizer

import allennlp_robust_xlt.commands.xtreme_retrieval  # noqa: F401  (registers the subcommand)
from allennlp_robust_xlt.common.errors import InputFileError, ParameterError, RobustXltError
from allennlp_robust_xlt.retrieval.xtreme_retrieval import xtreme_retrieval
from allennlp_robust_xlt.testing.cli import run_allennlp
from tests import CONFIGS_ROOT, DATA_ROOT, XTREME_DATA

TATOEBA_FILES = {
    "de": ("tatoeba.deu-eng.deu", "tatoeba.deu-eng.eng"),
    "fr": ("tatoeba.fra-eng.fra", "tatoeba.fra-eng.eng"),
    "zh": ("tatoeba.cmn-eng.cmn", "tatoeba.cmn-eng.eng"),
    "ar": ("ar-en.ar", "ar-en.en"),
}


def read_csv(path: Path) -> List[Dict[str, str]]:
    with open(path, encoding="utf-8") as csv_file:
        return list(csv.DictReader(csv_file))


def plain_accuracies(
    tokenizer, model, language: str, layer: int, pooling: str
) -> Tuple[float, float]:
    """
    Written independently of the package: each sentence alone through the transformer,
    `hidden_states[layer]` mean-pooled (special tokens included) or its first state, cosine,
    nearest neighbour; English queries first, then the other direction.
    """
    directory = XTREME_DATA / "tatoeba"

    def embed(file_name: str) -> torch.Tensor:
        lines = (directory / file_name).read_text(encoding="utf-8").splitlines()
        rows = []
        for line in lines:
            ids = tokenizer(line.strip(), return_tensors="pt")["input_ids"]
            with torch.no_grad():
                state = model(input_ids=ids, output_hidden_states=True).hidden_states[layer][0]
            rows.append(state.mean(dim=0) if pooling == "mean" else state[0])
        matrix = torch.stack(rows)
        return matrix / matrix.norm(dim=1, keepdim=True)

    foreign_file, english_file = TATOEBA_FILES[language]
    foreign, english = embed(foreign_file), embed(english_file)
    similarities = english @ foreign.t()
    gold = torch.arange(len(english))
    forward = int((similarities.argmax(dim=1) == gold).sum()) / len(gold)
    backward = int((similarities.argmax(dim=0) == gold).sum()) / len(gold)
    return forward, backward


@pytest.mark.parametrize("layer,pooling", [(0, "mean"), (1, "cls"), (2, "mean")])
def test_tatoeba_equals_a_plain_transformers_forward_pass(
    tmp_path: Path, tiny_transformer: Path, layer: int, pooling: str
):
    output = tmp_path / "out"
    run_allennlp(
        "xtreme-retrieval",
        str(tiny_transformer),
        str(XTREME_DATA),  # the XTREME root, holding tatoeba/
        "--task",
        "tatoeba",
        "--output-dir",
        str(output),
        "--layer",
        str(layer),
        "--pooling",
        pooling,
        "--batch-size",
        "5",
    )
    rows = read_csv(output / "retrieval.csv")
    assert [row["language"] for row in rows] == ["ar", "de", "fr", "zh"]
    assert list(rows[0]) == [
        "language",
        "layer",
        "pooling",
        "accuracy_at_1",
        "accuracy_at_1_reverse",
    ]
    tokenizer = AutoTokenizer.from_pretrained(str(tiny_transformer))
    model = AutoModel.from_pretrained(str(tiny_transformer)).eval()
    scores = set()
    for row in rows:
        assert row["layer"] == str(layer) and row["pooling"] == pooling
        forward, backward = plain_accuracies(tokenizer, model, row["language"], layer, pooling)
        assert float(row["accuracy_at_1"]) == pytest.approx(forward, abs=1e-9)
        assert float(row["accuracy_at_1_reverse"]) == pytest.approx(backward, abs=1e-9)
        scores.update((forward, backward))
    assert len(scores) > 1  # the languages differ: the comparison is not between constants
    markdown = (output / "retrieval.md").read_text(encoding="utf-8")
    assert "| de | German | Indo-European | 12 |" in markdown and "**average**" in markdown
    predictions = (output / "predictions" / "tatoeba" / "test-de.tsv").read_text().split()
    assert len(predictions) == 12 and all(0 <= int(p) < 12 for p in predictions)


def test_defaults_margin_scoring_and_languages(tmp_path: Path, tiny_xlmr: Path, capsys):
    output = tmp_path / "out"
    run_allennlp(
        "xtreme-retrieval",
        str(tiny_xlmr),
        str(XTREME_DATA / "tatoeba"),  # the task directory itself
        "--task",
        "tatoeba",
        "--output-dir",
        str(output),
        "--languages",
        "zh",
        "de",
        "--scoring",
        "margin",
    )
    rows = read_csv(output / "retrieval.csv")
    # Default layer: round(2 L / 3) = 1 of the 2-layer model; Tatoeba's pooling is mean.
    assert [(row["language"], row["layer"], row["pooling"]) for row in rows] == [
        ("zh", "1", "mean"),
        ("de", "1", "mean"),
    ]
    assert "margin scoring" in capsys.readouterr().out


@pytest.fixture(scope="module")
def tiny_archive(tmp_path_factory: pytest.TempPathFactory, tiny_xlmr: Path) -> Path:
    """A `basic_classifier` archive fine-tuned from the tiny XLM-R by `allennlp train`."""
    serialization_dir = tmp_path_factory.mktemp("archive") / "run"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XLT_TRANSFORMER", str(tiny_xlmr))
        patch.setenv("XLT_TRANSFORMER_DIM", "32")
        patch.setenv("XLT_DATA_DIR", str(XTREME_DATA))
        overrides = {
            "trainer.num_epochs": 1,
            "data_loader.batch_sampler.batch_size": 8,
            "trainer.optimizer.lr": 1e-3,
        }
        run_allennlp(
            "train",
            str(CONFIGS_ROOT / "xnli_baseline.jsonnet"),
            "-s",
            str(serialization_dir),
            "-o",
            json.dumps(overrides),
        )
    return serialization_dir / "model.tar.gz"


def test_an_archive_uses_its_fine_tuned_transformer(
    tmp_path: Path, tiny_archive: Path, tiny_xlmr: Path
):
    output = tmp_path / "archive"
    run_allennlp(
        "xtreme-retrieval",
        str(tiny_archive),
        str(XTREME_DATA),
        "--task",
        "tatoeba",
        "--output-dir",
        str(output),
        "--layer",
        "2",
    )
    rows = {row["language"]: row for row in read_csv(output / "retrieval.csv")}
    archive = load_archive(str(tiny_archive))
    embedder = archive.model._text_field_embedder.token_embedder_tokens
    fine_tuned = embedder.transformer_model.eval()
    base = AutoModel.from_pretrained(str(tiny_xlmr))
    assert not torch.equal(
        fine_tuned.embeddings.word_embeddings.weight, base.embeddings.word_embeddings.weight
    )
    tokenizer = AutoTokenizer.from_pretrained(str(tiny_xlmr))
    for language, row in rows.items():
        forward, backward = plain_accuracies(tokenizer, fine_tuned, language, 2, "mean")
        assert float(row["accuracy_at_1"]) == pytest.approx(forward, abs=1e-9)
        assert float(row["accuracy_at_1_reverse"]) == pytest.approx(backward, abs=1e-9)


def test_bucc_xtreme_layout_test_split_without_gold(tmp_path: Path, tiny_xlmr: Path):
    output = tmp_path / "bucc"
    run_allennlp(
        "xtreme-retrieval",
        str(tiny_xlmr),
        str(XTREME_DATA),
        "--task",
        "bucc2018",
        "--output-dir",
        str(output),
    )
    rows = read_csv(output / "retrieval.csv")
    assert [row["language"] for row in rows] == ["de", "fr"]
    assert list(rows[0]) == [
        "language",
        "layer",
        "pooling",
        "precision",
        "recall",
        "f1",
        "threshold",
    ]
    for row in rows:
        assert row["pooling"] == "cls" and row["layer"] == "1"
        assert row["precision"] == row["recall"] == row["f1"] == ""  # XTREME deleted the gold
        assert float(row["threshold"]) >= 0
        pairs = (output / "predictions" / "bucc2018" / f"test-{row['language']}.tsv").read_text()
        for line in pairs.splitlines():
            source, english = line.split("\t")
            assert source.startswith(row["language"] + "-") and english.startswith("en-")
    assert "has no gold file" in (output / "retrieval.md").read_text()


@pytest.mark.parametrize("split", ["dev", "test"])
def test_bucc_original_release_with_gold(tmp_path: Path, tiny_xlmr: Path, split: str):
    output = tmp_path / split
    run_allennlp(
        "xtreme-retrieval",
        str(tiny_xlmr),
        str(DATA_ROOT / "original" / "bucc2018"),
        "--task",
        "bucc2018",
        "--output-dir",
        str(output),
        "--split",
        split,
        "--layer",
        "2",
        "--pooling",
        "mean",
    )
    (row,) = read_csv(output / "retrieval.csv")
    precision, recall, f1 = (float(row[name]) for name in ("precision", "recall", "f1"))
    assert 0 <= precision <= 1 and 0 <= recall <= 1
    assert f1 == pytest.approx(
        2 * precision * recall / (precision + recall) if precision + recall else 0.0
    )
    extracted = (output / "predictions" / "bucc2018" / f"{split}-de.tsv").read_text().splitlines()
    name = "sample" if split == "dev" else "training"
    gold = (DATA_ROOT / "original" / "bucc2018" / "de-en" / f"de-en.{name}.gold").read_text()
    correct = len(set(extracted) & set(gold.splitlines()))
    assert precision == pytest.approx(correct / len(extracted) if correct else 0.0)
    assert recall == pytest.approx(correct / len(gold.splitlines()))


def run_retrieval(*args: str) -> None:
    run_allennlp("xtreme-retrieval", *args)


def test_output_directory_is_protected_and_nothing_is_half_written(tmp_path: Path, tiny_xlmr: Path):
    output = tmp_path / "out"
    output.mkdir()
    (output / "mine.txt").write_text("keep")
    arguments = [str(tiny_xlmr), str(XTREME_DATA), "--task", "tatoeba", "--output-dir", str(output)]
    with pytest.raises(ParameterError, match="exists and is not empty; pass --force"):
        run_retrieval(*arguments)
    assert sorted(p.name for p in output.iterdir()) == ["mine.txt"]
    run_retrieval(*arguments, "--force", "--languages", "de")
    assert (output / "retrieval.csv").exists() and (output / "mine.txt").read_text() == "keep"
    # A bad input stops before anything is written.
    fresh = tmp_path / "fresh"
    with pytest.raises(InputFileError):
        run_retrieval(
            str(tiny_xlmr),
            str(DATA_ROOT / "tatoeba_sorted"),
            "--task",
            "tatoeba",
            "--output-dir",
            str(fresh),
            "--languages",
            "de",
        )
    assert not fresh.exists()


def test_bad_input_is_one_clear_error(tmp_path: Path, tiny_xlmr: Path):
    """The first error through the command line; the others through the command's function."""
    out = str(tmp_path / "out")
    tatoeba = tmp_path / "tatoeba"
    tatoeba.mkdir()
    (tatoeba / "tatoeba.deu-eng.deu").write_text("Eins.\nZwei.\nDrei.\n")
    (tatoeba / "tatoeba.deu-eng.eng").write_text("One.\nTwo.\n")
    with pytest.raises(InputFileError, match="tatoeba.deu-eng.deu:3: has no parallel line in"):
        run_retrieval(str(tiny_xlmr), str(tmp_path), "--task", "tatoeba", "--output-dir", out)
    model, fixture = str(tiny_xlmr), str(XTREME_DATA)
    sorted_dir = str(DATA_ROOT / "tatoeba_sorted")
    with pytest.raises(InputFileError, match="is in alphabetical order"):
        xtreme_retrieval(model, sorted_dir, "tatoeba", out, languages=["de"])
    bucc = tmp_path / "bucc2018"
    bucc.mkdir()
    for suffix in ("de", "en"):
        source = XTREME_DATA / "bucc2018" / f"de-en.dev.{suffix}"
        (bucc / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    (bucc / "de-en.dev.gold").write_text("de-000000001\ten-000000004\nde-000000002\ten-999\n")
    with pytest.raises(InputFileError, match="de-en.dev.gold:2: names the id en-999"):
        xtreme_retrieval(model, str(tmp_path), "bucc2018", out, split="dev")
    (bucc / "de-en.dev.gold").unlink()
    with pytest.raises(InputFileError, match="de-en.dev.gold: not found: the threshold is chosen"):
        xtreme_retrieval(model, str(tmp_path), "bucc2018", out, split="dev")
    with pytest.raises(ParameterError, match="has 2 layers"):
        xtreme_retrieval(model, fixture, "tatoeba", out, layer=3)
    with pytest.raises(ParameterError, match="--split' applies to bucc2018 only"):
        xtreme_retrieval(model, fixture, "tatoeba", out, split="dev")
    with pytest.raises(ParameterError, match="unknown language code 'xx'"):
        xtreme_retrieval(model, fixture, "tatoeba", out, languages=["xx"])
    with pytest.raises(ParameterError, match="--batch-size' must be positive"):
        xtreme_retrieval(model, fixture, "tatoeba", out, batch_size=0)
    with pytest.raises(ParameterError, match="DATA_DIR' .* is not a directory"):
        xtreme_retrieval(model, str(tmp_path / "nowhere"), "tatoeba", out)
    with pytest.raises(InputFileError, match="is not a transformer model directory"):
        xtreme_retrieval(str(tmp_path), fixture, "tatoeba", out)
    with pytest.raises(RobustXltError, match="cannot load the transformer 'no-such-model'"):
        xtreme_retrieval("no-such-model", fixture, "tatoeba", out)
    assert not Path(out).exists()
