"""
XTREME-R's two stages through the real commands on the tiny model and the fixtures: SIQA, then
English COPA from the SIQA archive (XLT_INTERMEDIATE_ARCHIVE), then zero-shot XCOPA with
`allennlp evaluate`, `allennlp predict` and `xtreme-report`.
"""

import json
import logging
import shutil
from pathlib import Path
from contextlib import contextmanager
from typing import Dict, Iterator, List

import pytest
import torch
from allennlp.common import Params
from allennlp.common.testing import AllenNlpTestCase
from allennlp.data import Vocabulary
from allennlp.models import Model
from allennlp.models.archival import load_archive
from transformers import AutoModel

from allennlp_robust_xlt.common.errors import RobustXltError
from allennlp_robust_xlt.testing.cli import comma_list, run_allennlp
from tests import CONFIGS_ROOT, FIXTURES_ROOT, XTREME_DATA

# Small batches and no accumulation: several optimizer steps on the few fixture examples (AllenNLP's
# linear schedule gives the last step of a run a zero learning rate).
SMALL = {
    "trainer.num_epochs": 1,
    "data_loader.batch_sampler.batch_size": 2,
    "trainer.num_gradient_accumulation_steps": 1,
}
XCOPA = XTREME_DATA / "xcopa"
TRANSFERRED = ("_text_field_embedder.", "_scorer.")


READER_LOGGER = "allennlp_robust_xlt.mc.dataset_readers.xtreme_multiple_choice_reader"


@contextmanager
def listening(name: str) -> Iterator[List[logging.LogRecord]]:
    """The records of a logger while in the block."""
    records: List[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[assignment]
    logger = logging.getLogger(name)
    logger.addHandler(handler)
    try:
        yield records
    finally:
        logger.removeHandler(handler)


def transferred_weights(model: torch.nn.Module) -> Dict[str, torch.Tensor]:
    """The encoder's and the head's weights, which the second stage starts from."""
    return {
        name: value.detach().clone()
        for name, value in model.state_dict().items()
        if name.startswith(TRANSFERRED)
    }


def model_from_config(config: str) -> Model:
    """The model as `allennlp train` builds it at the start of training."""
    params = Params.from_file(str(CONFIGS_ROOT / config))
    return Model.from_params(vocab=Vocabulary(), params=params.pop("model"))


@pytest.fixture(scope="module")
def siqa_archive(tiny_xlmr: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first stage, trained once for this module with `allennlp train siqa_baseline`."""
    serialization_dir = tmp_path_factory.mktemp("siqa") / "run"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("XLT_TRANSFORMER", str(tiny_xlmr))
        env.setenv("XLT_TRANSFORMER_DIM", "32")
        env.setenv("XLT_DATA_DIR", str(XTREME_DATA))
        env.setenv("XLT_INTERMEDIATE_ARCHIVE", "")
        run_allennlp(
            "train", str(CONFIGS_ROOT / "siqa_baseline.jsonnet"), "-s", str(serialization_dir),
            "-o", json.dumps(SMALL),
        )  # fmt: skip
    config = json.loads((serialization_dir / "config.json").read_text())
    assert config["train_data_path"].endswith("siqa/socialIQa_v1.4_trn.jsonl")
    return serialization_dir / "model.tar.gz"


class TestTwoStages(AllenNlpTestCase):
    def test_siqa_then_copa_then_xcopa(
        self, monkeypatch: pytest.MonkeyPatch, tiny_xlmr: Path, siqa_archive: Path
    ):
        # A copy, which this test moves away after the second stage.
        siqa_archive = Path(shutil.copy(siqa_archive, self.TEST_DIR / "siqa.tar.gz"))
        stage_one = transferred_weights(load_archive(str(siqa_archive)).model)
        assert any(name.endswith("word_embeddings.weight") for name in stage_one)
        assert any(name.startswith("_scorer.") for name in stage_one)

        # Without the variable, COPA starts from the pretrained transformer.
        fresh = model_from_config("xcopa_baseline.jsonnet")
        pretrained = AutoModel.from_pretrained(str(tiny_xlmr)).embeddings.word_embeddings.weight
        embedder = fresh._text_field_embedder._token_embedders["tokens"].transformer_model
        assert torch.equal(embedder.embeddings.word_embeddings.weight, pretrained)
        assert not torch.equal(
            pretrained, stage_one[next(n for n in stage_one if "word_embeddings" in n)]
        )

        # With it, from the SIQA archive's encoder and head, trainable.
        monkeypatch.setenv("XLT_INTERMEDIATE_ARCHIVE", str(siqa_archive))
        start = model_from_config("xcopa_baseline.jsonnet")
        assert transferred_weights(start).keys() == stage_one.keys()
        assert all(
            torch.equal(value, stage_one[name])
            for name, value in transferred_weights(start).items()
        )
        assert all(parameter.requires_grad for parameter in start.parameters())

        # The real command: with a zero learning rate, COPA's weights stay SIQA's final ones.
        copa = self.TEST_DIR / "copa"
        run_allennlp(
            "train", str(CONFIGS_ROOT / "xcopa_baseline.jsonnet"), "-s", str(copa),
            "-o", json.dumps({**SMALL, "trainer.optimizer.lr": 0.0}),
        )  # fmt: skip
        copa_archive = copa / "model.tar.gz"
        config = json.loads((copa / "config.json").read_text())
        assert config["validation_data_path"].endswith("xcopa/val-en.jsonl")
        assert config["model"]["text_field_embedder"]["_pretrained"] == {
            "archive_file": str(siqa_archive),
            "module_path": "_text_field_embedder",
            "freeze": False,
        }

        # Its archive loads without the SIQA archive (which has moved away).
        shutil.move(str(siqa_archive), str(self.TEST_DIR / "elsewhere.tar.gz"))
        stage_two = transferred_weights(load_archive(str(copa_archive)).model)
        assert all(torch.equal(value, stage_one[name]) for name, value in stage_two.items())

        # Zero-shot evaluation: allennlp evaluate, one accuracy per language file.
        inputs = [XCOPA / f"val-{lang}.jsonl" for lang in ("et", "it", "zh")]
        outputs = [self.TEST_DIR / f"metrics-{lang}.json" for lang in ("et", "it", "zh")]
        run_allennlp(
            "evaluate", str(copa_archive), comma_list(inputs), "--output-file", comma_list(outputs)
        )
        scores = [json.loads(output.read_text()) for output in outputs]
        assert all(0.0 <= score["accuracy"] <= 1.0 and score["loss"] > 0 for score in scores)

        # Prediction without --predictor: XTREME's {"label": int} per line, and the probabilities.
        predictions = self.TEST_DIR / "predictions.jsonl"
        run_allennlp(
            "predict", str(copa_archive), str(XCOPA / "val-it.jsonl"), "--output-file", str(predictions),
            "--batch-size", "3", "--silent",
        )  # fmt: skip
        lines = [json.loads(line) for line in predictions.read_text().splitlines()]
        assert [line["id"] for line in lines] == [1, 2, 3, 4]
        for line in lines:
            assert len(line["probs"]) == 2 and abs(sum(line["probs"]) - 1) < 1e-5
            assert line["label"] == max(range(2), key=line["probs"].__getitem__)

        # xtreme-report --split dev reads XCOPA's val-{lang}.jsonl.
        report = self.TEST_DIR / "report-dev"
        run_allennlp(
            "xtreme-report",
            str(copa_archive),
            str(XTREME_DATA),
            "--output-dir",
            str(report),
            "--split",
            "dev",
        )
        metrics = json.loads((report / "metrics.json").read_text())
        assert metrics["task"] == "xcopa" and metrics["metric"] == "accuracy"
        assert list(metrics["languages"]) == ["et", "it", "zh"]  # the table's order; no English
        for lang, score in zip(("et", "it", "zh"), scores):
            assert metrics["languages"][lang]["accuracy"] == pytest.approx(score["accuracy"])
            examples = [
                json.loads(line)
                for line in (report / "per_example" / f"{lang}.jsonl").read_text().splitlines()
            ]
            assert sum(e["correct"] for e in examples) / len(examples) == pytest.approx(
                score["accuracy"]
            )
            assert all(set(e) == {"id", "correct"} for e in examples)
        assert "average without en" in (report / "report.md").read_text()

        # --split test reads test-{lang}.jsonl; XTREME's all-zero test labels get a warning.
        # (`allennlp train` replaced the root logger's handlers: listen on the reader's logger.)
        with listening(READER_LOGGER) as records:
            run_allennlp(
                "xtreme-report",
                str(copa_archive),
                str(XTREME_DATA),
                "--output-dir",
                str(self.TEST_DIR / "report-test"),
                "--task",
                "xcopa",
                "--split",
                "test",
            )
        assert list(
            json.loads((self.TEST_DIR / "report-test" / "metrics.json").read_text())["languages"]
        ) == ["et", "it", "zh"]
        warnings = [r.getMessage() for r in records if r.levelno == logging.WARNING]
        assert any("test-et.jsonl: all 4 labels are 0" in message for message in warnings)
        assert not any("test-it.jsonl: all" in message for message in warnings)

    def test_an_archive_of_another_transformer_is_one_clear_error(
        self, monkeypatch: pytest.MonkeyPatch, tiny_bert: Path, tiny_xlmr: Path, siqa_archive: Path
    ):
        monkeypatch.setenv("XLT_TRANSFORMER", str(tiny_bert))
        monkeypatch.setenv("XLT_INTERMEDIATE_ARCHIVE", str(siqa_archive))
        with pytest.raises(RobustXltError) as error:
            run_allennlp(
                "train",
                str(CONFIGS_ROOT / "xcopa_baseline.jsonnet"),
                "-s",
                str(self.TEST_DIR / "copa"),
            )
        assert str(error.value).startswith(
            f"xtreme_multiple_choice: the encoder is the transformer {str(tiny_xlmr)!r} but the"
            f" readers tokenize for {str(tiny_bert)!r} (XLT_TRANSFORMER)"
        )
        assert "\n" not in str(error.value)

    @pytest.mark.slow
    @pytest.mark.parametrize("config", ["xcopa_adv", "xcopa_rs_rp", "xcopa_rs_da"])
    def test_robust_methods_from_the_siqa_archive(
        self, monkeypatch: pytest.MonkeyPatch, config: str, siqa_archive: Path
    ):
        monkeypatch.setenv("XLT_INTERMEDIATE_ARCHIVE", str(siqa_archive))
        monkeypatch.setenv(
            "XLT_NEIGHBORS", str(FIXTURES_ROOT / "neighbors" / "english_neighbors.json")
        )
        stage_one = transferred_weights(load_archive(str(siqa_archive)).model)
        run_allennlp(
            "train", str(CONFIGS_ROOT / f"{config}.jsonnet"), "-s", str(self.TEST_DIR / config),
            "-o", json.dumps(SMALL),
        )  # fmt: skip
        archive = load_archive(str(self.TEST_DIR / config / "model.tar.gz"))
        trained = transferred_weights(archive.model)
        assert trained.keys() == stage_one.keys()
        assert any(not torch.equal(value, stage_one[name]) for name, value in trained.items())
        assert type(archive.validation_dataset_reader).__name__ == "XtremeXcopaReader"
        metrics = json.loads((self.TEST_DIR / config / "metrics.json").read_text())
        assert 0.0 <= metrics["validation_accuracy"] <= 1.0
