"""
`analysis/alignment/` (`xtreme-alignment`): the metrics against an independent computation
(plain transformers forward passes, numpy), one pass per model and language for every layer,
the attack (exact at epsilon 0), bad input, and the ranking of the synthetic benchmark's
languages by their misalignment.
"""

import csv
import json
import math
from pathlib import Path
from typing import Dict, List

import numpy
import pytest
import torch
from transformers import AutoModel, AutoTokenizer

from allennlp_robust_xlt.analysis.alignment.inputs import METRICS, keep_distinct, parse_model_specs
from allennlp_robust_xlt.analysis.alignment.metrics import alignment_metrics, linear_cka
from allennlp_robust_xlt.analysis.alignment.run import xtreme_alignment
from allennlp_robust_xlt.analysis.compare.inputs import ALIGNMENT_COLUMNS, read_alignment
from allennlp_robust_xlt.common.errors import InputFileError, ParameterError
from allennlp_robust_xlt.data.synthetic_xlt import SyntheticXltConfig, write_benchmark
from tests import XTREME_DATA

EPSILON_ZERO = '{"type": "embedding_attack", "epsilon": 0.0, "steps": 3}'
ATTACK = '{"type": "embedding_attack", "norm": "l2", "epsilon": 1.0, "steps": 3}'


def read_rows(path: Path) -> List[Dict[str, str]]:
    with open(path, encoding="utf-8") as csv_file:
        return list(csv.DictReader(csv_file))


def numpy_metrics(english: numpy.ndarray, foreign: numpy.ndarray) -> Dict[str, float]:
    """Written independently: the full n x n cosine matrix, argmax both ways, Gram-form CKA."""
    english, foreign = english.astype(numpy.float64), foreign.astype(numpy.float64)
    en = english / numpy.linalg.norm(english, axis=1, keepdims=True)
    xx = foreign / numpy.linalg.norm(foreign, axis=1, keepdims=True)
    cosines = en @ xx.T
    n = len(en)
    off_diagonal = ~numpy.eye(n, dtype=bool)
    gold = numpy.arange(n)
    x = english - english.mean(axis=0)
    y = foreign - foreign.mean(axis=0)
    k, l_ = x @ x.T, y @ y.T
    return {
        "cos_parallel": float(numpy.diag(cosines).mean()),
        "cos_random": float(cosines[off_diagonal].mean()),
        "cos_gap": float(numpy.diag(cosines).mean() - cosines[off_diagonal].mean()),
        "p_at_1": float((cosines.argmax(axis=1) == gold).mean()),
        "p_at_1_reverse": float((cosines.argmax(axis=0) == gold).mean()),
        "cka": float((k * l_).sum() / (numpy.linalg.norm(k) * numpy.linalg.norm(l_))),
    }


def plain_embeddings(model_dir: Path, sentences: List[str]) -> numpy.ndarray:
    """Each sentence alone through the transformer: `[layers + 1, n, hidden]`, mean pooling."""
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    model = AutoModel.from_pretrained(str(model_dir)).eval()
    rows = []
    for sentence in sentences:
        ids = tokenizer(sentence, return_tensors="pt")["input_ids"]
        with torch.no_grad():
            states = model(input_ids=ids, output_hidden_states=True).hidden_states
        rows.append(torch.stack([state[0].mean(dim=0) for state in states]))
    return torch.stack(rows, dim=1).double().numpy()


def first_sentences(path: Path) -> List[str]:
    return [line.split("\t")[0] for line in path.read_text(encoding="utf-8").splitlines()]


# -- metrics --------------------------------------------------------------------------------------


def test_linear_cka_feature_and_gram_forms_agree_and_are_invariant():
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(20, 6, generator=generator)
    y = x @ torch.linalg.qr(torch.randn(6, 6, generator=generator))[0] * 3.0 + 1.5
    assert linear_cka(x, x) == pytest.approx(1.0, abs=1e-12)
    assert linear_cka(x, y) == pytest.approx(1.0, abs=1e-12)  # orthogonal map, scale, shift
    z = torch.randn(20, 6, generator=generator)
    feature_form = linear_cka(x, z)  # d <= n
    wide_x, wide_z = x[:5], z[:5]  # n < d: the Gram form
    expected = numpy_metrics(wide_x.numpy(), wide_z.numpy())["cka"]
    assert linear_cka(wide_x, wide_z) == pytest.approx(expected, abs=1e-12)
    assert feature_form == pytest.approx(numpy_metrics(x.numpy(), z.numpy())["cka"], abs=1e-12)
    assert 0.0 < feature_form < 1.0


def test_alignment_metrics_equal_a_full_matrix_computation():
    generator = torch.Generator().manual_seed(1)
    english = torch.randn(9, 4, generator=generator)
    foreign = english + 0.8 * torch.randn(9, 4, generator=generator)
    metrics = alignment_metrics(english, foreign)
    expected = numpy_metrics(english.double().numpy(), foreign.double().numpy())
    assert list(metrics) == list(METRICS)
    for name in METRICS:
        assert metrics[name] == pytest.approx(expected[name], abs=1e-6), name
    assert 0.0 < metrics["p_at_1"] < 1.0  # not a trivial case


def test_keep_distinct_skips_repeated_and_empty_sentences():
    english = ["a", "a", "b", "c", "", "d"]
    foreign = ["x", "y", "x", "z", "w", "v"]
    assert keep_distinct(english, foreign) == [0, 3, 5]


def test_model_names():
    specs = parse_model_specs(["base=xlm-roberta-base", "pgd#0=/runs/pgd0/model.tar.gz", "m"])
    assert [(s.name, s.model) for s in specs] == [
        ("base", "xlm-roberta-base"),
        ("pgd#0", "/runs/pgd0/model.tar.gz"),
        ("m", "m"),
    ]
    with pytest.raises(ParameterError, match="names 'a' twice"):
        parse_model_specs(["a=x", "a=y"])


# -- the command on the fixture data -------------------------------------------------------------


def test_every_layer_equals_plain_forward_passes_on_xnli(tmp_path: Path, tiny_transformer: Path):
    output = tmp_path / "out"
    xtreme_alignment(
        [f"tiny={tiny_transformer}"],
        str(XTREME_DATA),
        str(output),
        task="xnli",
        languages=["de", "zh"],
        batch_size=4,
    )
    rows = read_rows(output / "alignment.csv")
    assert list(rows[0]) == list(ALIGNMENT_COLUMNS)
    assert [(r["model"], r["language"], r["layer"]) for r in rows] == [
        ("tiny", language, str(layer)) for language in ("de", "zh") for layer in range(3)
    ]
    directory = XTREME_DATA / "xnli"
    english_all = first_sentences(directory / "test-en.tsv")
    gaps = set()
    for language in ("de", "zh"):
        foreign_all = first_sentences(directory / f"test-{language}.tsv")
        kept = keep_distinct(english_all, foreign_all)
        assert len(kept) == 6  # XNLI's premises repeat: each pair counted once
        english = plain_embeddings(tiny_transformer, [english_all[i] for i in kept])
        foreign = plain_embeddings(tiny_transformer, [foreign_all[i] for i in kept])
        for layer in range(3):
            (row,) = [r for r in rows if r["language"] == language and r["layer"] == str(layer)]
            expected = numpy_metrics(english[layer], foreign[layer])
            for name in METRICS:
                assert float(row[name]) == pytest.approx(expected[name], abs=1e-5), (
                    language,
                    layer,
                    name,
                )
            gaps.add(round(expected["cos_gap"], 6))
    assert len(gaps) > 1  # layers and languages differ: not a comparison of constants
    settings = json.loads((output / "alignment.json").read_text())
    assert settings["summary_layer"] == 1  # round(2 L / 3) of the 2-layer model
    assert settings["sentence_pairs"] == {"de": 6, "zh": 6}
    markdown = (output / "alignment.md").read_text()
    assert (
        "## tiny — layer 1 of 2" in markdown and "| de | German | Indo-European | 6 |" in markdown
    )
    for plot in ("alignment_layers.png", "alignment_languages.png"):
        assert (output / plot).read_bytes()[:4] == b"\x89PNG"
    # xtreme-compare --alignment reads it at the summary layer.
    alignment = read_alignment(output, None)
    assert set(alignment.levels["tiny"]) == {"de", "zh"}


def test_one_forward_pass_per_batch_for_all_layers(tmp_path: Path, tiny_xlmr: Path, monkeypatch):
    from allennlp_robust_xlt.retrieval import sentence_encoder

    calls = []
    original = sentence_encoder.SentenceEncoder.hidden_states

    def counting(self, input_ids, mask):
        calls.append(input_ids.shape[0])
        return original(self, input_ids, mask)

    monkeypatch.setattr(sentence_encoder.SentenceEncoder, "hidden_states", counting)
    xtreme_alignment(
        [str(tiny_xlmr)],
        str(XTREME_DATA / "tatoeba"),
        str(tmp_path / "out"),
        task="tatoeba",
        languages=["de", "fr"],
        batch_size=5,
    )
    # Tatoeba's fixture: 12 pairs per language, English files differ per language. Every
    # sentence goes through the transformer once, every layer from that pass.
    assert sum(calls) == 4 * 12 and len(calls) == 4 * math.ceil(12 / 5)


def test_epsilon_zero_attack_is_exact_and_an_attack_lowers_the_alignment(
    tmp_path: Path, tiny_xlmr: Path
):
    clean = tmp_path / "clean"
    xtreme_alignment([str(tiny_xlmr)], str(XTREME_DATA), str(clean), languages=["de", "fr"])
    zero = tmp_path / "zero"
    xtreme_alignment(
        [str(tiny_xlmr)], str(XTREME_DATA), str(zero), languages=["de", "fr"], attack=EPSILON_ZERO
    )
    clean_rows, zero_rows = read_rows(clean / "alignment.csv"), read_rows(zero / "alignment.csv")
    for clean_row, zero_row in zip(clean_rows, zero_rows):
        for name in METRICS:
            assert float(zero_row[name]) == pytest.approx(float(clean_row[name]), abs=1e-6)
            assert zero_row["attacked_" + name] == zero_row[name]  # exact
    attacked = tmp_path / "attacked"
    xtreme_alignment(
        [str(tiny_xlmr)],
        str(XTREME_DATA),
        str(attacked),
        languages=["de", "fr"],
        attack=ATTACK,
        layer=2,
    )
    for row in read_rows(attacked / "alignment.csv"):
        if row["layer"] == "2":  # the attacked layer
            assert float(row["attacked_cos_parallel"]) < float(row["cos_parallel"]) - 1e-3
    settings = json.loads((attacked / "alignment.json").read_text())
    norms = settings["perturbation_norm"][str(tiny_xlmr)]
    assert set(norms) == {"de", "fr"}
    assert all(0.0 < norm <= 1.0 + 1e-5 for norm in norms.values())
    assert "stability" in (attacked / "alignment.md").read_text()


# -- bad input -----------------------------------------------------------------------------------


def test_parallel_files_of_different_lengths(tmp_path: Path, tiny_xlmr: Path):
    data = tmp_path / "xnli"
    data.mkdir()
    source = XTREME_DATA / "xnli"
    (data / "test-en.tsv").write_text((source / "test-en.tsv").read_text(encoding="utf-8"))
    lines = (source / "test-de.tsv").read_text(encoding="utf-8").splitlines(keepends=True)
    (data / "test-de.tsv").write_text("".join(lines[:10]), encoding="utf-8")
    with pytest.raises(InputFileError) as error:
        xtreme_alignment([str(tiny_xlmr)], str(tmp_path), str(tmp_path / "out"))
    message = str(error.value)
    assert "test-en.tsv" in message and ":11" in message and "test-de.tsv" in message
    assert len(message.splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_a_model_without_the_requested_layer(tmp_path: Path, tiny_xlmr: Path):
    with pytest.raises(ParameterError, match="is 5, but .* has 2 layers"):
        xtreme_alignment(
            [str(tiny_xlmr)], str(XTREME_DATA), str(tmp_path / "out"), languages=["de"], layer=5
        )
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "options,match",
    [
        ({"languages": ["en"]}, "lists en"),
        ({"languages": ["xx"]}, "unknown language code 'xx'"),
        ({"attack": '{"type": "synonym_attack"}'}, "must be an embedding_attack"),
        ({"attack": "{epsilon"}, "not valid JSON"),
        ({"pooling": "max"}, "--pooling"),
        ({"task": "udpos"}, "--task"),
        ({"task": "tatoeba", "split": "dev"}, "does not apply to tatoeba"),
    ],
)
def test_bad_options(tmp_path: Path, tiny_xlmr: Path, options, match: str):
    with pytest.raises(ParameterError, match=match):
        xtreme_alignment([str(tiny_xlmr)], str(XTREME_DATA), str(tmp_path / "out"), **options)


def test_a_non_empty_output_directory_needs_force(tmp_path: Path, tiny_xlmr: Path):
    output = tmp_path / "out"
    output.mkdir()
    (output / "mine.txt").write_text("keep")
    with pytest.raises(ParameterError, match="--force"):
        xtreme_alignment([str(tiny_xlmr)], str(XTREME_DATA), str(output), languages=["de"])
    xtreme_alignment([str(tiny_xlmr)], str(XTREME_DATA), str(output), languages=["de"], force=True)
    assert (output / "mine.txt").read_text() == "keep" and (output / "alignment.csv").is_file()


# -- the synthetic benchmark ---------------------------------------------------------------------

TINY_WORLD = SyntheticXltConfig(
    seed=3,
    num_groups=60,
    train_size=20,
    dev_size=10,
    test_size=60,
    misalignments=(0.0, 1.0, 2.0, 3.0),
)


def test_ranks_the_synthetic_languages_by_their_misalignment(tmp_path: Path):
    benchmark = tmp_path / "benchmark"
    world = write_benchmark(benchmark, TINY_WORLD)
    output = tmp_path / "out"
    xtreme_alignment(
        [f"synthetic={benchmark / 'encoder'}"], str(benchmark), str(output), task="pawsx"
    )
    rows = read_rows(output / "alignment.csv")
    codes = TINY_WORLD.target_codes()
    assert sorted({row["language"] for row in rows}) == codes  # found from the files
    for layer in ("0", "1", "2"):
        at = {row["language"]: row for row in rows if row["layer"] == layer}
        by_misalignment = sorted(codes, key=lambda code: world.misalignment[code])
        for metric in ("cos_gap", "cka", "cos_parallel"):
            values = [float(at[code][metric]) for code in by_misalignment]
            assert values == sorted(values, reverse=True) and len(set(values)) == len(values), (
                layer,
                metric,
                values,
            )
        for metric in ("p_at_1", "p_at_1_reverse"):
            values = [float(at[code][metric]) for code in by_misalignment]
            assert values == sorted(values, reverse=True) and values[0] > values[-1]
