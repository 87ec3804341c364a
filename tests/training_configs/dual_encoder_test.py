"""
LAReQA and Mewsli-X end to end on the tiny XLM-R and the fixtures: `allennlp train` with
`training_configs/{lareqa,mewslix}_dual_encoder.jsonnet` (LAReQA also with adversarial training),
then `xtreme-retrieval` on each archive.
"""

import csv
import json
from pathlib import Path
from typing import Dict, List

import pytest
import torch
from allennlp.models.archival import load_archive
from transformers import AutoTokenizer

from allennlp_robust_xlt.common.errors import ParameterError
from allennlp_robust_xlt.evaluation.xtreme_report import task_of_archive
from allennlp_robust_xlt.retrieval.xtreme_retrieval import xtreme_retrieval
from allennlp_robust_xlt.testing.cli import run_allennlp
from tests import CONFIGS_ROOT, XTREME_DATA

SMALL = {
    "trainer.num_epochs": 1,
    "trainer.num_gradient_accumulation_steps": 1,
    "data_loader.batch_size": 4,
    "trainer.optimizer.lr": 1e-3,
}


def train(config: str, directory: Path, **overrides: object) -> Dict[str, float]:
    run_allennlp(
        "train",
        str(CONFIGS_ROOT / f"{config}.jsonnet"),
        "-s",
        str(directory),
        "-o",
        json.dumps({**SMALL, **overrides}),
    )
    return json.loads((directory / "metrics.json").read_text())


def read_csv(path: Path) -> List[Dict[str, str]]:
    with open(path, encoding="utf-8") as csv_file:
        return list(csv.DictReader(csv_file))


@pytest.fixture(scope="module")
def archives(tmp_path_factory: pytest.TempPathFactory, tiny_xlmr: Path) -> Dict[str, Path]:
    root = tmp_path_factory.mktemp("dual_encoder")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XLT_TRANSFORMER", str(tiny_xlmr))
        patch.setenv("XLT_TRANSFORMER_DIM", "32")
        patch.setenv("XLT_DATA_DIR", str(XTREME_DATA))
        metrics = {
            "lareqa": train("lareqa_dual_encoder", root / "lareqa"),
            "mewslix": train("mewslix_dual_encoder", root / "mewslix"),
            "lareqa_adv": train(
                "lareqa_dual_encoder",
                root / "lareqa_adv",
                **{"trainer.callbacks": [{"type": "adversarial_training"}, {"type": "rng_state"}]},
            ),
            "mewslix_rs_rp": train(
                "mewslix_dual_encoder",
                root / "mewslix_rs_rp",
                **{"trainer.callbacks": [{"type": "random_perturbation"}, {"type": "rng_state"}]},
            ),
        }
    for name, values in metrics.items():
        assert 0.0 <= values["validation_accuracy"] <= 1.0, name
        assert values["training_loss"] > 0.0, name
    # Adversarial training ran on the dual encoder's one word-embedding call per batch.
    assert metrics["lareqa_adv"]["training_adversarial_loss"] > 0.0
    assert "training_adversarial_loss" not in metrics["lareqa"]
    return {name: root / name / "model.tar.gz" for name in metrics}


def test_lareqa_through_xtreme_retrieval(tmp_path: Path, archives: Dict[str, Path]):
    for name in ("lareqa", "lareqa_adv"):
        output = tmp_path / name
        run_allennlp(
            "xtreme-retrieval",
            str(archives[name]),
            str(XTREME_DATA),
            "--task",
            "lareqa",
            "--output-dir",
            str(output),
        )
        rows = read_csv(output / "retrieval.csv")
        assert [row["language"] for row in rows] == ["en", "de"]
        assert all(row["layer"] == "2" and row["pooling"] == "cls" for row in rows)
        assert all(0.0 < float(row["map_at_20"]) <= 1.0 for row in rows)
        lines = (output / "predictions" / "lareqa" / "test-de.tsv").read_text().splitlines()
        assert [line.split("\t")[0] for line in lines] == ["q1_de", "q2_de", "q3_de"]
        assert len(lines[0].split("\t")) == 1 + 10  # every candidate of both languages
        assert "LAReQA test" in (output / "retrieval.md").read_text()


def test_mewslix_map_at_20_equals_a_plain_computation(tmp_path: Path, archives: Dict[str, Path]):
    """
    The archive's transformer run by hand on the texts XTREME builds (written out here),
    first states, cosine, the gold entity's reciprocal rank: the command's figures.
    """
    output = tmp_path / "mewslix"
    xtreme_retrieval(
        str(archives["mewslix"]), str(XTREME_DATA), "mewslix", str(output), split="dev"
    )
    rows = {row["language"]: float(row["map_at_20"]) for row in read_csv(output / "retrieval.csv")}
    assert sorted(rows) == ["de", "en"]

    archive = load_archive(str(archives["mewslix"]))
    transformer = archive.model._text_field_embedder._token_embedders["tokens"].transformer_model
    tokenizer = AutoTokenizer.from_pretrained(
        archive.config["dataset_reader"]["transformer_model_name"]
    )

    def embed(texts: List[str]) -> torch.Tensor:
        rows = []
        for text in texts:
            ids = tokenizer(text, return_tensors="pt", truncation=True, max_length=64)["input_ids"]
            with torch.no_grad():
                rows.append(transformer(input_ids=ids).last_hidden_state[0, 0])
        matrix = torch.stack(rows)
        return matrix / matrix.norm(dim=1, keepdim=True)

    entities = embed(
        [
            "Paris is the capital and largest city of France. It lies on the Seine.",
            "Berlin is the capital of Germany.",
            "The Louvre is an art museum in Paris.",
            "The Amazon is a river in South America.",
        ]
    )
    mentions = {
        "en": (
            ["Paris: The mayor of { Paris } spoke.", "Amazon: The { Amazon } flooded villages."],
            [0, 3],
        ),
        "de": (
            ["Louvre: Der { Louvre } war geschlossen.", "Berlin: In { Berlin } regnete es."],
            [2, 1],
        ),
    }
    for language, (queries, gold) in mentions.items():
        scores = embed(queries) @ entities.t()
        reciprocal = [1.0 / (1 + int((row > row[g]).sum())) for row, g in zip(scores, gold)]
        assert rows[language] == pytest.approx(sum(reciprocal) / len(reciprocal), abs=1e-6)
    predictions = json.loads((output / "predictions" / "mewslix" / "dev-de.json").read_text())
    assert sorted(predictions) == ["de-1", "de-2"] and len(predictions["de-1"]) == 4


def test_lareqa_pools_every_language_whichever_are_reported(
    tmp_path: Path, archives: Dict[str, Path]
):
    both = xtreme_retrieval(
        str(archives["lareqa"]), str(XTREME_DATA), "lareqa", str(tmp_path / "a")
    )
    german = xtreme_retrieval(
        str(archives["lareqa"]), str(XTREME_DATA), "lareqa", str(tmp_path / "b"), languages=["de"]
    )
    assert [r.language for r in german.results] == ["de"]
    assert german.results[0].metrics == both.results[1].metrics
    ranked = (tmp_path / "b" / "predictions" / "lareqa" / "test-de.tsv").read_text().split()
    assert any(uid.startswith("en_") for uid in ranked)


def test_xtreme_report_sends_dual_encoders_to_xtreme_retrieval(archives: Dict[str, Path]):
    with pytest.raises(
        ParameterError, match="is a Mewsli-X model: score it with `xtreme-retrieval"
    ):
        task_of_archive(load_archive(str(archives["mewslix"])))


def test_dual_encoder_tasks_refuse_margin_and_unknown_splits(tmp_path: Path, tiny_xlmr: Path):
    with pytest.raises(ParameterError, match="'--scoring' must be cosine for lareqa"):
        xtreme_retrieval(
            str(tiny_xlmr), str(XTREME_DATA), "lareqa", str(tmp_path / "a"), scoring="margin"
        )
    with pytest.raises(ParameterError, match="'--split' must be one of test for lareqa"):
        xtreme_retrieval(
            str(tiny_xlmr), str(XTREME_DATA), "lareqa", str(tmp_path / "b"), split="dev"
        )
    # A pretrained encoder without fine-tuning is a baseline: test split, gold from the labels.
    report = xtreme_retrieval(str(tiny_xlmr), str(XTREME_DATA), "mewslix", str(tmp_path / "c"))
    assert [(r.language, r.size) for r in report.results] == [("de", 1)]
