"""
RS-DA end to end on the tiny models: `allennlp train` with the RS-DA config, then clean
`allennlp evaluate` / `allennlp predict`, and both by vote (the `smoothed_vote` evaluator and the
`smoothed_pair_classification` predictor), plus voting by embedding noise.
"""

import json
from pathlib import Path
from typing import Dict, List

import pytest
from allennlp.models.archival import load_archive
from allennlp.predictors import Predictor

from allennlp_robust_xlt.common.errors import ParameterError
from allennlp_robust_xlt.testing.cli import run_allennlp
from tests import CONFIGS_ROOT, DATA_ROOT, FIXTURES_ROOT, XTREME_DATA

TABLE = FIXTURES_ROOT / "neighbors" / "english_neighbors.json"
TEST_EN = XTREME_DATA / "xnli" / "test-en.tsv"
SMALL = json.dumps({"data_loader.batch_sampler.batch_size": 16})


@pytest.fixture(scope="module")
def archives(
    tmp_path_factory: pytest.TempPathFactory, tiny_models: Dict[str, Path]
) -> Dict[str, Path]:
    """One RS-DA XNLI model per tokenizer style, trained with the real config (1 epoch, 3 copies)."""
    trained = {}
    for style, model in tiny_models.items():
        serialization_dir = tmp_path_factory.mktemp(f"rs_da_{style}") / "run"
        with pytest.MonkeyPatch.context() as env:
            env.setenv("XLT_TRANSFORMER", str(model))
            env.setenv("XLT_TRANSFORMER_DIM", "32")
            env.setenv("XLT_DATA_DIR", str(XTREME_DATA))
            env.setenv("XLT_NEIGHBORS", str(TABLE))
            run_allennlp(
                "train",
                str(CONFIGS_ROOT / "xnli_rs_da.jsonnet"),
                "-s",
                str(serialization_dir),
                "-o",
                SMALL,
            )
        trained[style] = serialization_dir / "model.tar.gz"
    return trained


def pairs_jsonl(path: Path) -> Path:
    """test-en.tsv as prediction input (JSON lines with ids)."""
    lines = []
    for number, line in enumerate(TEST_EN.read_text(encoding="utf-8").splitlines()):
        premise, hypothesis, _ = line.split("\t")
        lines.append(json.dumps({"id": number, "premise": premise, "hypothesis": hypothesis}))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def read_jsonl(path: Path) -> List[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_rs_da_train_then_clean_evaluate_and_predict(archives: Dict[str, Path], tmp_path: Path):
    archive = archives["xlmr"]
    config = json.loads((archive.parent / "config.json").read_text())
    assert config["dataset_reader"]["type"] == "randomized_smoothing"
    assert config["dataset_reader"]["copies"] == 3 and config["trainer"]["num_epochs"] == 1
    assert config["validation_dataset_reader"]["type"] == "xtreme_xnli"
    metrics = json.loads((archive.parent / "metrics.json").read_text())
    assert metrics["training_accuracy"] >= 0 and "validation_accuracy" in metrics

    output = tmp_path / "clean.json"
    run_allennlp("evaluate", str(archive), str(TEST_EN), "--output-file", str(output))
    clean = json.loads(output.read_text())
    assert 0.0 <= clean["accuracy"] <= 1.0 and clean["loss"] > 0

    predictions = tmp_path / "predictions.jsonl"
    run_allennlp(
        "predict",
        str(archive),
        str(DATA_ROOT / "pairs.jsonl"),
        "--output-file",
        str(predictions),
        "--silent",
    )
    lines = read_jsonl(predictions)
    assert len(lines) == 8 and all(
        set(line["probs"]) == {"entailment", "neutral", "contradiction"} for line in lines
    )


def test_vote_by_evaluate_and_by_predict_agree(archives: Dict[str, Path], tmp_path: Path):
    archive = archives["xlmr"]
    evaluation = {"type": "smoothed_vote", "neighbors": str(TABLE), "copies": 7, "seed": 3}
    metrics_file, votes_file = tmp_path / "vote.json", tmp_path / "votes.jsonl"
    run_allennlp(
        "evaluate",
        str(archive),
        str(TEST_EN),
        "--output-file",
        str(metrics_file),
        "--predictions-output-file",
        str(votes_file),
        "-o",
        json.dumps({"evaluation": evaluation}),
    )
    metrics = json.loads(metrics_file.read_text())
    assert metrics["copies"] == 7 and metrics["examples"] == 12
    assert 0 <= metrics["accuracy"] <= 1 and 1 / 3 <= metrics["vote_share"] <= 1
    assert {"copy_accuracy", "copy_loss"} <= set(metrics)
    evaluated = read_jsonl(votes_file)
    gold = [line.split("\t")[2] for line in TEST_EN.read_text(encoding="utf-8").splitlines()]
    assert [line["gold_label"] for line in evaluated] == gold
    correct = sum(line["label"] == line["gold_label"] for line in evaluated)
    assert metrics["accuracy"] == pytest.approx(correct / 12)

    predicted_file = tmp_path / "predicted.jsonl"
    predictor_args = {"neighbors": str(TABLE), "copies": 7, "seed": 3}
    run_allennlp(
        "predict",
        str(archive),
        str(pairs_jsonl(tmp_path / "pairs.jsonl")),
        "--output-file",
        str(predicted_file),
        "--silent",
        "--batch-size",
        "5",
        "--predictor",
        "smoothed_pair_classification",
        "--predictor-args",
        json.dumps(predictor_args),
    )
    predicted = read_jsonl(predicted_file)
    assert [line["id"] for line in predicted] == list(range(12))
    for vote, line in zip(predicted, evaluated):
        assert sum(vote["votes"].values()) == 7
        assert vote["label"] == max(
            vote["votes"], key=lambda label: (vote["votes"][label], vote["probs"][label])
        )
        assert vote["vote_share"] == pytest.approx(vote["votes"][vote["label"]] / 7)
        assert abs(sum(vote["probs"].values()) - 1) < 1e-5
        # Same seed, same pairs: the same votes, whether by evaluate or predict, in any batch.
        assert (vote["label"], vote["votes"]) == (line["label"], line["votes"])


@pytest.mark.parametrize("style", ["xlmr", "bert"])
def test_vote_by_word_embedding_noise(archives: Dict[str, Path], style: str):
    archive = load_archive(str(archives[style]))
    pairs = [
        {
            "premise": "The old man reads the newspaper every morning.",
            "hypothesis": "The man reads.",
        },
        {"premise": "Two women are cooking dinner.", "hypothesis": "Nobody is cooking."},
    ]
    clean = Predictor.from_archive(archive, "xtreme_pair_classification").predict_batch_json(pairs)

    def voted(scale: float, **extra) -> List[dict]:
        noise = {"type": "word_embedding_noise", "scale": scale, "seed": 1}
        predictor = Predictor.from_archive(
            archive,
            "smoothed_pair_classification",
            extra_args={"copies": 6, "noise": noise, **extra},
        )
        return predictor.predict_batch_json(pairs)

    tiny = voted(1e-7)
    for vote, reference in zip(tiny, clean):
        assert vote["label"] == reference["label"] and vote["vote_share"] == 1.0
        for label, prob in reference["probs"].items():
            assert vote["probs"][label] == pytest.approx(prob, abs=1e-4)
    loud = voted(5.0)
    assert loud == voted(5.0)  # seeded
    assert any(
        abs(loud[0]["probs"][label] - clean[0]["probs"][label]) > 1e-3
        for label in clean[0]["probs"]
    )
    # Synonyms and noise together.
    both = voted(1e-7, neighbors=str(TABLE))
    assert all(sum(vote["votes"].values()) == 6 for vote in both)
    # No hook is left on the model.
    assert clean == Predictor.from_archive(
        archive, "xtreme_pair_classification"
    ).predict_batch_json(pairs)


def test_predictor_errors(archives: Dict[str, Path], tmp_path: Path):
    archive = load_archive(str(archives["xlmr"]))
    with pytest.raises(ParameterError, match="'neighbors'"):
        Predictor.from_archive(archive, "smoothed_pair_classification", extra_args={"copies": 3})
    with pytest.raises(ParameterError, match="word_embedding_noise"):
        Predictor.from_archive(
            archive, "smoothed_pair_classification", extra_args={"noise": {"type": "laplace"}}
        )
    with pytest.raises(ParameterError, match="'copies'"):
        Predictor.from_archive(
            archive,
            "smoothed_pair_classification",
            extra_args={"neighbors": str(TABLE), "copies": 0},
        )
    with pytest.raises(ParameterError, match="--use-dataset-reader"):
        run_allennlp(
            "predict",
            str(archives["xlmr"]),
            str(TEST_EN),
            "--use-dataset-reader",
            "--silent",
            "--output-file",
            str(tmp_path / "out.jsonl"),
            "--predictor",
            "smoothed_pair_classification",
            "--predictor-args",
            json.dumps({"neighbors": str(TABLE)}),
        )
