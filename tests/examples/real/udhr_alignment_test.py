"""
The UDHR alignment measurement (`examples/real/udhr_alignment.py`): the overlap measure on known
strings, the intervals and correlations, and the whole measurement with a tiny stand-in encoder
on the shipped files. The real encoder only in the slow test.
"""

import importlib.util
import json
import logging
import shutil
import sys

import pytest

from allennlp_robust_xlt.testing.tiny_transformers import convert_to_safetensors
from tests import PROJECT_ROOT

REAL = PROJECT_ROOT / "examples" / "real"


def load(name):
    spec = importlib.util.spec_from_file_location(name, REAL / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


measure = load("udhr_alignment")
real = load("run_real")


@pytest.fixture(autouse=True)
def _restore_logging():
    yield
    logging.disable(logging.NOTSET)


def test_overlap_counts_the_translations_sub_words_found_on_the_english_side():
    english = ["the cat sat .", "a dog 12"]
    foreign = ["le cat ! .", "un [UNK] dog 12 the"]
    found = measure.subword_overlap(str.split, english, foreign, "[UNK]")
    # 9 sub-words. In their own English sentence: cat . / dog 12 -> 4 (the is in the other one);
    # anywhere on the English side: also "the" -> 5; digits or punctuation among the 4: . 12,
    # the words cat dog;
    # [UNK]: 1 (never shared, even if English had one).
    assert found == {
        "overlap": 4 / 9,
        "overlap_words": 2 / 9,
        "overlap_corpus": 5 / 9,
        "overlap_symbols": 2 / 9,
        "unk": 1 / 9,
        "subwords": 9,
    }
    unknown = measure.subword_overlap(str.split, ["[UNK] x"], ["[UNK]"], "[UNK]")
    assert unknown["overlap"] == 0 and unknown["unk"] == 1
    assert measure.is_symbol("##12") and measure.is_symbol("，") and not measure.is_symbol("##a1")


def test_wilson_interval_and_spearman():
    low, high = measure.wilson(5, 10)
    assert (round(low, 4), round(high, 4)) == (0.2366, 0.7634)
    low, high = measure.wilson(0, 50)
    assert low == 0 and round(high, 4) == 0.0713
    assert measure.wilson(50, 50)[1] == pytest.approx(1)
    found = measure.spearman([1, 2, 3, 4], [10, 30, 20, 40])
    assert found["n"] == 4 and found["rho"] == pytest.approx(0.8)


def test_measurement_with_a_tiny_stand_in_encoder(tiny_bert, tmp_path):
    """xtreme-alignment on the shipped UDHR files, the overlap on the same pairs, the files."""
    encoder = tmp_path / "encoder"
    shutil.copytree(tiny_bert, encoder)
    convert_to_safetensors(encoder)
    logging.disable(logging.INFO)
    summary = measure.run_alignment(tmp_path / "out", encoder, threads=1, languages=["fr", "zh"])
    output = tmp_path / "out"
    assert list(summary["languages"]) == ["fr", "zh"]
    layers = json.loads((encoder / "config.json").read_text())["num_hidden_layers"]
    assert summary["layer"] == layers and summary["pooling"] == "mean"
    csv_lines = (output / "alignment" / "alignment.csv").read_text().strip().splitlines()
    assert len(csv_lines) == 1 + 2 * (layers + 1)  # every layer of each language
    counts = json.loads((measure.DATA / "counts.json").read_text())["pairs"]
    for code, entry in summary["languages"].items():
        assert entry["n"] + entry["skipped"] == counts[code]
        for metric in ("p_at_1", "p_at_1_reverse"):
            low, high = entry[f"{metric}_ci95"]
            assert low <= entry[metric] <= high
        assert entry["cos_gap"] == pytest.approx(entry["cos_parallel"] - entry["cos_random"])
        assert 0 <= entry["overlap_symbols"] <= entry["overlap"] <= entry["overlap_corpus"] <= 1
        assert entry["overlap_words"] == pytest.approx(entry["overlap"] - entry["overlap_symbols"])
        assert len(entry["p_at_1_by_layer"]) == layers + 1
        assert entry["p_at_1_by_layer"][layers] == entry["p_at_1"]
    assert set(summary["correlations"]) == {
        f"{x}~{y}" for x in measure.PREDICTORS for y in measure.CORRELATED
    }
    assert all(found["n"] == 2 and found["p"] is None for found in summary["correlations"].values())
    assert json.loads((output / "results.json").read_text()) == summary
    text = (output / "results.md").read_text()
    assert "| fr | " in text and "| zh | " in text and "Spearman" in text


@pytest.mark.slow
def test_the_real_encoder_is_aligned_where_sub_words_are_shared(tmp_path):
    """all-MiniLM-L6-v2 (English only): retrieval on the UDHR follows the sub-word overlap."""
    logging.disable(logging.INFO)
    summary = real.run_alignment(tmp_path / "out", threads=1)
    languages = summary["languages"]
    assert len(languages) == 14
    assert languages["fr"]["p_at_1"] > languages["tr"]["p_at_1"]
    assert languages["zh"]["unk"] > 0.3 > languages["de"]["unk"]
    assert summary["correlations"]["overlap~p_at_1"]["rho"] > 0.5
