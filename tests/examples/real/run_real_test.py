"""
The real-encoder runner (`examples/real/run_real.py`, outside the package): its configs, its
strength choice on English dev, its data subsets and tables, and the pipeline with a tiny
stand-in encoder. The real encoder (the pinned registry package) only in the slow tests.
"""

import importlib.util
import json
import logging
import shutil
import sys

import pytest
import torch
from allennlp.common import Params

from allennlp_robust_xlt.testing.tiny_transformers import convert_to_safetensors
from tests import PROJECT_ROOT, XTREME_DATA

RUNNER_PATH = PROJECT_ROOT / "examples" / "real" / "run_real.py"


def load_runner():
    spec = importlib.util.spec_from_file_location("run_real", RUNNER_PATH)
    module = importlib.util.module_from_spec(spec)
    sys.modules["run_real"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


real = load_runner()


@pytest.fixture(autouse=True)
def _restore_logging():
    yield
    logging.disable(logging.NOTSET)  # the runner silences AllenNLP's INFO logs


@pytest.mark.parametrize("method", ["baseline", "adv", "rs_rp", "rs_da"])
def test_each_method_config_takes_the_size_seed_and_strength(method, monkeypatch):
    monkeypatch.setenv("XLT_NEIGHBORS", str(PROJECT_ROOT / "tests" / "fixtures" / "neighbors"))
    strength = {"adv": 0.3, "rs_rp": 0.03}.get(method)
    params = Params.from_file(
        str(real.CONFIGS / f"udpos_{real.SUFFIX[method]}.jsonnet"),
        json.dumps(real.overrides(method, 2, real.SIZES, strength)),
    ).as_dict()
    assert params["random_seed"] == params["numpy_seed"] == params["pytorch_seed"] == 2
    trainer = params["trainer"]
    assert trainer["optimizer"]["lr"] == real.SIZES.learning_rate
    assert trainer["num_gradient_accumulation_steps"] == 1
    assert params["data_loader"]["batch_sampler"]["batch_size"] == real.SIZES.batch_size
    reader = params["dataset_reader"]
    if method == "rs_da":
        assert reader["copies"] == real.RS_DA_COPIES
        assert trainer["num_epochs"] == real.SIZES.epochs // real.RS_DA_COPIES
        reader = reader["base_reader"]
    else:
        assert trainer["num_epochs"] == real.SIZES.epochs
    assert reader["token_indexers"]["tokens"]["max_length"] == real.SIZES.max_length
    embedder = params["model"]["text_field_embedder"]["token_embedders"]["tokens"]
    assert embedder["max_length"] == real.SIZES.max_length
    callback = trainer["callbacks"][0]
    if method == "adv":
        assert callback == {"type": "adversarial_training", "method": "pgd", "epsilon": 0.3}
    elif method == "rs_rp":
        assert callback["type"] == "random_perturbation" and callback["scale"] == 0.03
    else:
        assert callback["type"] == "tensorboard"


def test_strength_is_chosen_on_english_dev_only(tmp_path, monkeypatch):
    dev = {0.1: 0.80, 0.3: 0.85, 0.7: 0.85}
    trained = []

    def fake_train(method, seed, sizes, strength, run_dir):
        trained.append((method, seed, strength))
        run_dir.mkdir(parents=True)
        metrics = {"best_validation_f1": dev[strength]}
        (run_dir / "metrics.json").write_text(json.dumps(metrics))
        return run_dir

    monkeypatch.setattr(real, "train", fake_train)
    best, scores, run_dir = real.choose_strength("adv", 0, real.SIZES, (0.1, 0.3, 0.7), tmp_path)
    # The best English dev F1; a tie goes to the weaker perturbation.
    assert best == 0.3 and scores == dev and run_dir == tmp_path / "adv-0.3-0"
    assert trained == [("adv", 0, 0.1), ("adv", 0, 0.3), ("adv", 0, 0.7)]


def test_subsets_keep_the_first_sentences_of_each_file(tmp_path):
    sizes = real.Sizes(
        train=3, dev=2, test=1, epochs=1, batch_size=1, max_length=8, learning_rate=1
    )
    data = real.write_subsets(XTREME_DATA, tmp_path / "data", ["de"], sizes)
    for name, count in (("train-en", 3), ("dev-en", 2), ("test-en", 1), ("test-de", 1)):
        written = real.read_sentences(data / "udpos" / f"{name}.tsv")
        source = real.read_sentences(XTREME_DATA / "udpos" / f"{name}.tsv")
        assert written == source[:count]
    assert not (data / "udpos" / "test-fr.tsv").exists()
    with pytest.raises(SystemExit, match=r"test-xx\.tsv: not found"):
        real.write_subsets(XTREME_DATA, tmp_path / "other", ["xx"], sizes)


def test_interval_is_a_t_interval_over_seeds():
    assert real.interval([0.5]) == "50.0"
    # mean 0.5, sd 0.1, t(0.975, 2) = 4.303: half-width 4.303 * 0.1 / sqrt(3)
    assert real.interval([0.4, 0.5, 0.6]) == "50.0 ± 24.8"


def test_data_dir_is_required_and_rs_da_needs_the_table(tmp_path):
    encoder = tmp_path / "encoder"
    encoder.mkdir()
    with pytest.raises(SystemExit):
        real.main(["--encoder", str(encoder), "--output-dir", str(tmp_path / "out")])
    with pytest.raises(SystemExit):
        real.main(["--methods", "baseline", "rs_da", "--data-dir", str(XTREME_DATA)])


def test_pipeline_with_a_tiny_stand_in_encoder(tiny_bert, tmp_path, monkeypatch):
    """Train, report clean and under attack, and the summary, on the fixtures' UD-POS files with
    a tiny model saved as model.safetensors only (as the real encoder's package ships it)."""
    encoder = tmp_path / "encoder"
    shutil.copytree(tiny_bert, encoder)
    convert_to_safetensors(encoder)
    monkeypatch.setattr(real, "SIZES", real.QUICK_SIZES)
    summary = real.main(
        [
            "--encoder", str(encoder), "--data-dir", str(XTREME_DATA), "--methods", "baseline",
            "--seeds", "0", "--languages", "de", "--output-dir", str(tmp_path / "out"),
            "--threads", "1",
        ]
    )  # fmt: skip
    output = tmp_path / "out"
    assert summary["languages"] == ["de"] and len(summary["seconds_per_seed"]) == 1
    embeddings = torch.load(str(tiny_bert / "pytorch_model.bin"))[
        "embeddings.word_embeddings.weight"
    ]
    assert summary["embedding_norm"] == pytest.approx(float(embeddings.norm(dim=1).mean()))
    for report in ("report", "attack"):
        metrics = json.loads((output / "runs" / "baseline-0" / report / "metrics.json").read_text())
        assert set(metrics["languages"]) == {"en", "de"}
    text = (output / "results.md").read_text()
    assert "| de | " in text and "| target average | " in text
    assert json.loads((output / "results.json").read_text())["attack"] == real.ATTACK


def test_alignment_mode_with_the_quick_stand_in_encoder(tmp_path):
    """`--alignment --quick`: the UDHR measurement with the tiny safetensors stand-in, every
    shipped language, no training."""
    output = tmp_path / "out"
    summary = real.main(["--alignment", "--quick", "--output-dir", str(output), "--threads", "1"])
    counts = json.loads((real.UDHR_DATA / "counts.json").read_text())["pairs"]
    assert list(summary["languages"]) == list(counts)
    assert summary["encoder"] == "out/tiny-encoder"  # the stand-in, not the package
    assert json.loads((output / "results.json").read_text())["languages"].keys() == counts.keys()
    assert (output / "alignment" / "alignment.csv").is_file()
    assert not (output / "runs").exists()


def test_the_demo_hands_real_to_the_runner(monkeypatch):
    demo_spec = importlib.util.spec_from_file_location(
        "run_demo", PROJECT_ROOT / "examples" / "demo" / "run_demo.py"
    )
    demo = importlib.util.module_from_spec(demo_spec)
    sys.modules["run_demo"] = demo
    demo_spec.loader.exec_module(demo)
    calls = []
    runner = demo.load_real_runner()
    monkeypatch.setattr(runner, "main", lambda argv: calls.append(argv) or {"ran": True})
    monkeypatch.setattr(demo, "load_real_runner", lambda: runner)
    assert demo.main(["--real", "--quick", "--seeds", "0"]) == {"ran": True}
    assert calls == [["--quick", "--seeds", "0"]]


@pytest.mark.slow
def test_the_pinned_package_holds_the_published_model():
    """sha256 of the hub's model.safetensors, and the sentence-transformers README's similarities
    recomputed with the plugin's own encoder (mean pooling of the last layer, L2-normalised)."""
    model_dir = real.default_encoder()
    assert sorted(path.name for path in model_dir.glob("*.safetensors")) == ["model.safetensors"]
    assert not (model_dir / "pytorch_model.bin").exists()
    result = real.check_encoder(model_dir)
    assert result["sha256_matches"] and result["similarities_match"] and result["ok"]


@pytest.mark.slow
def test_quick_run_end_to_end(tmp_path):
    """`--quick`: 2 seeds, PGD's strength choice, both reports, xtreme-compare's intervals and
    the summary."""
    real.main(
        [
            "--quick",
            "--seeds",
            "0",
            "1",
            "--methods",
            "baseline",
            "adv",
            "--output-dir",
            str(tmp_path / "out"),
        ]
    )
    output = tmp_path / "out"
    assert (output / "compare" / "comparison.md").is_file()
    summary = json.loads((output / "results.json").read_text())
    assert set(summary["strengths"]) == {"adv"}
    for method in ("baseline", "adv"):
        assert f"| {method}" in (output / "compare" / "comparison.md").read_text()
