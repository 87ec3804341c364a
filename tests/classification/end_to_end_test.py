"""
SIB-200 for real on the tiny transformer and the fixture files: `allennlp train` of
`sib200_baseline.jsonnet`, `evaluate`, `predict` and `xtreme-report --task sib200` (per-language
accuracy with families, English `eng_Latn` as the source), and the four configs' settings.
"""

import json
from pathlib import Path

import pytest
from allennlp.common import Params
from allennlp.data import DatasetReader

from allennlp_robust_xlt.tasks import TASKS
from allennlp_robust_xlt.testing.cli import run_allennlp
from tests import CONFIGS_ROOT, FIXTURES_ROOT, XTREME_DATA

SMALL = {"trainer.num_epochs": 1, "data_loader.batch_sampler.batch_size": 4}
SIB = XTREME_DATA / "sib200"


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory, tiny_xlmr: Path) -> Path:
    directory = tmp_path_factory.mktemp("sib200") / "run"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XLT_TRANSFORMER", str(tiny_xlmr))
        patch.setenv("XLT_TRANSFORMER_DIM", "32")
        patch.setenv("XLT_DATA_DIR", str(XTREME_DATA))
        run_allennlp(
            "train",
            str(CONFIGS_ROOT / "sib200_baseline.jsonnet"),
            "-s",
            str(directory),
            "-o",
            json.dumps(SMALL),
        )
    return directory / "model.tar.gz"


def config(method: str) -> dict:
    return Params.from_file(str(CONFIGS_ROOT / f"sib200_{method}.jsonnet")).as_dict()


@pytest.mark.parametrize("method", ["baseline", "adv", "rs_rp", "rs_da"])
def test_configs_read_the_table(method: str):
    training = TASKS["sib200"].training
    params = config(method)
    assert params["model"]["type"] == "xtreme_text_classifier"
    assert params["trainer"]["optimizer"]["lr"] == training["learning_rate"] == 1e-5
    assert params["train_data_path"].endswith("/sib200/eng_Latn/train.tsv")
    assert params["validation_data_path"].endswith("/sib200/eng_Latn/dev.tsv")
    reader = params["dataset_reader"]
    if method == "rs_da":
        assert reader["copies"] == training["rs_da_copies"]
        assert params["trainer"]["num_epochs"] == training["rs_da_epochs"]
        reader = reader["base_reader"]
    assert reader["type"] == "sib200" and reader["max_length"] == training["max_length"] == 164
    callbacks = [c["type"] for c in params["trainer"]["callbacks"]]
    expected = {"adv": "adversarial_training", "rs_rp": "random_perturbation"}.get(method)
    assert callbacks[0] == (expected or "tensorboard")


def test_rs_da_perturbs_the_one_text():
    params = config("rs_da")
    params["dataset_reader"]["neighbors"] = str(
        FIXTURES_ROOT / "neighbors" / "english_neighbors.json"
    )
    reader = DatasetReader.from_params(Params(params["dataset_reader"]))
    instances = list(reader.read(SIB / "eng_Latn" / "train.tsv"))
    assert len(instances) == 14 * TASKS["sib200"].training["rs_da_copies"]
    texts = {instance["metadata"]["text"] for instance in instances}
    assert len(texts) > 14  # some copies differ from their original


def test_train_evaluate_predict_report(archive: Path, tmp_path: Path):
    metrics = json.loads((archive.parent / "metrics.json").read_text())
    assert "validation_accuracy" in metrics

    output = tmp_path / "deu.json"
    run_allennlp("evaluate", str(archive), str(SIB / "deu_Latn" / "test.tsv"), "--output-file",
                 str(output))  # fmt: skip
    accuracy = json.loads(output.read_text())["accuracy"]

    lines = tmp_path / "input.jsonl"
    lines.write_text('{"text": "The team won.", "id": 4}\n{"text": "Doctors advise sleep."}\n')
    run_allennlp("predict", str(archive), str(lines), "--output-file", str(tmp_path / "p.jsonl"),
                 "--silent")  # fmt: skip
    predicted = [json.loads(line) for line in (tmp_path / "p.jsonl").read_text().splitlines()]
    labels = set(TASKS["sib200"].labels)
    assert predicted[0]["id"] == 4 and "id" not in predicted[1]
    for prediction in predicted:
        assert prediction["label"] in labels and set(prediction["probs"]) == labels
        assert sum(prediction["probs"].values()) == pytest.approx(1.0)

    report = tmp_path / "report"
    run_allennlp("xtreme-report", str(archive), str(XTREME_DATA), "--task", "sib200",
                 "--output-dir", str(report))  # fmt: skip
    data = json.loads((report / "metrics.json").read_text())
    assert data["source_languages"] == ["eng_Latn"]
    assert list(data["languages"]) == ["eng_Latn", "deu_Latn", "yor_Latn"]
    assert data["languages"]["deu_Latn"]["accuracy"] == pytest.approx(accuracy)
    # Per example, as the report counts them.
    examples = [
        json.loads(line)
        for line in (report / "per_example" / "deu_Latn.jsonl").read_text().splitlines()
    ]
    assert len(examples) == 7
    assert sum(e["correct"] for e in examples) / 7 == pytest.approx(accuracy)
    markdown = (report / "report.md").read_text()
    assert "| deu_Latn | German | Indo-European | Latin |" in markdown
    assert "**Atlantic-Congo family** | yor_Latn" in markdown
    assert "average without eng_Latn" in markdown
