"""
The comparison of fabricated report directories whose gains and correlations are known:
its numbers against independent computations (numpy, scipy, lang2vec directly), its
determinism, and its errors on bad input.
"""

import csv
import itertools
import json
import math
import warnings
from pathlib import Path
from typing import Dict, List

import numpy
import pytest
from scipy import stats
from scipy.spatial import distance

from allennlp_robust_xlt.analysis.compare.gains import compare_runs
from allennlp_robust_xlt.analysis.compare.inputs import parse_runs
from allennlp_robust_xlt.analysis.compare.tables import write_comparison
from allennlp_robust_xlt.analysis.statistics import holm
from allennlp_robust_xlt.common.errors import InputFileError, ParameterError, RobustXltError
from tests.analysis.fabricate import XNLI, correct_vector, write_report, write_runs

# ISO 639-3 codes typed in here, independently of the package's languages table.
ISO = {
    "en": "eng", "ar": "arb", "bg": "bul", "de": "deu", "el": "ell", "es": "spa", "fr": "fra",
    "hi": "hin", "ru": "rus", "sw": "swh", "th": "tha", "tr": "tur", "ur": "urd", "vi": "vie",
    "zh": "cmn",
}  # fmt: skip
TARGETS = XNLI[1:]


@pytest.fixture(scope="module")
def syntactic() -> Dict[str, numpy.ndarray]:
    """lang2vec's syntax_knn vectors of the XNLI languages, read with lang2vec itself."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import lang2vec.lang2vec as l2v

        features = l2v.get_features([ISO[c] for c in XNLI], "syntax_knn")
    return {code: numpy.array(features[ISO[code]], dtype=float) for code in XNLI}


def independent_distance(vectors: Dict[str, numpy.ndarray], first: str, second: str) -> float:
    return float(distance.cosine(vectors[first], vectors[second]))


def rows(path: Path) -> List[Dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as data:
        return list(csv.DictReader(data))


def number(text: str) -> float:
    return math.nan if text == "" else float(text)


def run(runs, output: Path, **kwargs) -> Dict[str, List[Dict[str, str]]]:
    comparison = compare_runs(runs, **kwargs)
    write_comparison(comparison, output)
    return {
        name: rows(output / f"{name}.csv")
        for name in ("comparison", "correlations", "families", "distances")
    }


# -- over seeds, all lang2vec distances -----------------------------------------------------


@pytest.fixture(scope="module")
def seed_runs(tmp_path_factory, syntactic):
    """3 methods x 3 seeds on XNLI; pgd's gain is 0.06 - 0.1 x the syntactic distance."""
    root = tmp_path_factory.mktemp("seed_runs")
    rng = numpy.random.default_rng(0)
    base = {c: [0.60 + 0.01 * i + 0.004 * (s - 1) for s in range(3)] for i, c in enumerate(XNLI)}
    gain = {c: 0.06 - 0.1 * independent_distance(syntactic, c, "en") for c in XNLI}
    pgd = {c: [v + gain[c] + 0.002 * (s - 1) for s, v in enumerate(base[c])] for c in XNLI}
    noise = {c: rng.normal(0, 0.01) for c in XNLI}
    rsrp = {c: [v + noise[c] + 0.001 * s for s, v in enumerate(base[c])] for c in XNLI}
    runs = write_runs(root, {"baseline": base, "pgd": pgd, "rsrp": rsrp})
    return runs, base, gain


def test_means_gains_and_families_over_seeds(seed_runs, tmp_path: Path):
    runs, base, gain = seed_runs
    out = run(runs, tmp_path / "out")
    table = {(r["language"], r["method"]): r for r in out["comparison"]}
    assert len(out["comparison"]) == 15 * 3
    for code in XNLI:
        row = table[(code, "pgd")]
        assert number(row["mean"]) == pytest.approx(numpy.mean(base[code]) + gain[code])
        assert number(row["gain"]) == pytest.approx(gain[code])
        assert row["n_seeds"] == "3" and row["interval"] == "seeds"
        assert row["role"] == ("source" if code == "en" else "target")
        assert (
            number(row["ci_low"]) <= number(row["gain"]) + 1e-12 <= number(row["ci_high"]) + 2e-12
        )
        assert table[(code, "baseline")]["gain"] == "0.0"
        assert table[(code, "baseline")]["ci_low"] == ""
    families = {(r["level"], r["group"], r["method"]): r for r in out["families"]}
    everything = families[("average", "all targets", "pgd")]
    assert everything["languages"].split() == TARGETS
    assert number(everything["gain"]) == pytest.approx(numpy.mean([gain[c] for c in TARGETS]))
    indo_european = families[("family", "Indo-European", "pgd")]
    assert indo_european["languages"].split() == ["bg", "de", "el", "es", "fr", "hi", "ru", "ur"]
    assert number(indo_european["mean"]) == pytest.approx(
        numpy.mean([numpy.mean(base[c]) + gain[c] for c in "bg de el es fr hi ru ur".split()])
    )
    assert families[("genus", "Turkic", "pgd")]["languages"] == "tr"
    assert ("family", "Indo-European", "baseline") in families
    assert not any(r["group"] == "Germanic" and "en" in r["languages"] for r in out["families"])


def test_correlations_reproduce_scipy_and_lang2vec(seed_runs, syntactic, tmp_path: Path):
    runs, _, gain = seed_runs
    out = run(runs, tmp_path / "out")
    distances: Dict[str, Dict[str, float]] = {}
    for row in out["distances"]:
        distances.setdefault(row["distance_name"], {})[row["language"]] = number(row["value"])
        assert row["measure"] == "lang2vec-feature cosine distance" and row["from"] == "en"
    assert {r["language"]: r["iso639_3"] for r in out["distances"]} == ISO
    for code in XNLI:  # the syntactic distances are lang2vec's vectors' cosine distances
        assert distances["lang2vec:syntactic"][code] == pytest.approx(
            independent_distance(syntactic, code, "en"), abs=1e-12
        )
    # Rounded as the comparison rounds them, so that equal gains stay ties (fr and ru).
    gains = {(r["method"], r["language"]): round(number(r["gain"]), 12) for r in out["comparison"]}
    correlations = out["correlations"]
    assert [(r["method"], r["predictor"]) for r in correlations] == [
        (method, f"lang2vec:{name}")
        for method in ("pgd", "rsrp")
        for name in ("syntactic", "phonological", "inventory", "geographic", "genetic")
    ]
    for row in correlations:
        x = distances[row["predictor"]]
        used = [c for c in TARGETS if not math.isnan(x[c])]
        assert row["keys"].split() == used and int(row["n"]) == len(used) == 14
        xs, ys = [x[c] for c in used], [gains[(row["method"], c)] for c in used]
        assert number(row["spearman"]) == pytest.approx(stats.spearmanr(xs, ys).statistic)
        assert number(row["pearson"]) == pytest.approx(stats.pearsonr(xs, ys).statistic)
        assert 0 < number(row["p_value"]) <= 1 and row["exact"] == "monte carlo"
    known = next(
        r for r in correlations if r["method"] == "pgd" and r["predictor"].endswith("syntactic")
    )
    # Exactly -1: fr and ru (equal distances) have equal gains, which stay a tie although
    # float arithmetic makes them differ in the last bits.
    assert number(known["spearman"]) == pytest.approx(-1.0)
    assert number(known["pearson"]) == pytest.approx(-1.0)
    assert number(known["p_value"]) <= 3 / 10000  # no permutation reaches |rho| = 1 but itself
    p_values = [number(r["p_value"]) for r in correlations]
    assert [number(r["p_holm"]) for r in correlations] == pytest.approx(holm(p_values))
    assert number(known["p_holm"]) <= 10 * 3 / 10000
    markdown = (tmp_path / "out" / "comparison.md").read_text()
    assert "| pgd | gain | lang2vec:syntactic | 14 | -1.00" in markdown
    assert (tmp_path / "out" / "gain_vs_distance.png").stat().st_size > 0
    assert (tmp_path / "out" / "families.png").stat().st_size > 0


def test_deterministic_per_seed(seed_runs, tmp_path: Path):
    runs, _, _ = seed_runs
    options = dict(lang2vec=["syntactic"], n_bootstrap=300, n_permutations=999)
    first = run(runs, tmp_path / "a", seed=5, **options)
    again = run(runs, tmp_path / "b", seed=5, **options)
    other = run(runs, tmp_path / "c", seed=6, **options)
    assert first == again
    assert [r["ci_low"] for r in first["comparison"]] != [r["ci_low"] for r in other["comparison"]]
    assert [r["gain"] for r in first["comparison"]] == [r["gain"] for r in other["comparison"]]


def test_one_seed_gives_no_interval(tmp_path: Path):
    runs = write_runs(
        tmp_path, {"baseline": {"en": [0.8], "de": [0.7]}, "pgd": {"en": [0.82], "de": [0.75]}}
    )
    comparison = compare_runs(runs, lang2vec=[])
    cell = comparison.cells[("de", "pgd")]
    assert cell.gain == pytest.approx(0.05) and all(math.isnan(v) for v in cell.ci)
    assert any("fewer than 2 seeds" in note for note in comparison.notes)


# -- over examples, user distances, exact p-values --------------------------------------------

SIX = ["de", "es", "fr", "ru", "zh", "sw"]


@pytest.fixture(scope="module")
def example_runs(tmp_path_factory):
    """baseline and pgd x 2 seeds with per-example results; pgd gains 0.02 (i + 1) on SIX[i]."""
    root = tmp_path_factory.mktemp("example_runs")
    n = 300
    rng = numpy.random.default_rng(1)
    runs: Dict[str, List[Path]] = {"baseline": [], "pgd": []}
    outcomes: Dict[str, Dict[str, List[numpy.ndarray]]] = {"baseline": {}, "pgd": {}}
    for index, code in enumerate(["en"] + SIX):
        base = numpy.array(correct_vector(0.6 + 0.02 * index, n, rng))
        zeros = numpy.flatnonzero(base == 0)
        flips = 0 if code == "en" else int(round(n * 0.02 * index))
        seeds = []
        for seed in range(2):
            chosen = rng.choice(zeros, size=flips, replace=False)
            improved = base.copy()
            improved[chosen] = 1
            seeds.append(improved)
        outcomes["baseline"][code] = [base, base]
        outcomes["pgd"][code] = seeds
    for method in runs:
        for seed in range(2):
            per_example = {code: outcomes[method][code][seed] for code in ["en"] + SIX}
            scores = {code: float(numpy.mean(v)) for code, v in per_example.items()}
            runs[method].append(
                write_report(root / f"{method}-{seed}", scores, per_example=per_example)
            )
    table = root / "distances.csv"
    table.write_text(
        "language,distance_name,value\n"
        + "".join(f"{code},misalignment,{0.5 * index}\n" for index, code in enumerate(SIX)),
        encoding="utf-8",
    )
    return runs, outcomes, table


def enumerated_spearman_p(x, y) -> float:
    observed = stats.spearmanr(x, y).statistic
    values = numpy.array([stats.spearmanr(p, y).statistic for p in itertools.permutations(x)])
    greater = numpy.mean(values >= observed - 1e-12)
    less = numpy.mean(values <= observed + 1e-12)
    return min(1.0, 2 * min(greater, less))


def test_paired_example_bootstrap_and_exact_p_values(example_runs, tmp_path: Path):
    runs, outcomes, table = example_runs
    out = run(runs, tmp_path / "out", lang2vec=[], distance_files=[str(table)], n_bootstrap=2000)
    comparison = {(r["language"], r["method"]): r for r in out["comparison"]}
    for index, code in enumerate(SIX, start=1):
        row = comparison[(code, "pgd")]
        assert row["interval"] == "examples"
        true_gain = 0.02 * index
        assert number(row["gain"]) == pytest.approx(true_gain)
        low, high = number(row["ci_low"]), number(row["ci_high"])
        assert low < true_gain < high
        # The paired bootstrap of a mean difference, computed with scipy on the differences.
        differences = numpy.mean(outcomes["pgd"][code], axis=0) - outcomes["baseline"][code][0]
        reference = stats.bootstrap(
            (differences,), numpy.mean, method="percentile", n_resamples=4000, random_state=0
        ).confidence_interval
        assert (low, high) == pytest.approx((reference.low, reference.high), abs=0.006)
        if index >= 2:
            assert low > 0
    everything = next(
        r for r in out["families"] if r["group"] == "all targets" and r["method"] == "pgd"
    )
    assert number(everything["gain"]) == pytest.approx(0.07)
    assert number(everything["ci_low"]) < 0.07 < number(everything["ci_high"])
    (row,) = out["correlations"]
    assert row["predictor"] == "distance:misalignment" and row["n"] == "6"
    assert row["exact"] == "exact"
    gains = [number(comparison[(c, "pgd")]["gain"]) for c in SIX]
    x = [0.5 * i for i in range(6)]
    assert number(row["spearman"]) == pytest.approx(1.0)
    assert number(row["p_value"]) == pytest.approx(enumerated_spearman_p(x, gains))
    assert number(row["p_holm"]) == pytest.approx(number(row["p_value"]))
    assert out["distances"][0] == {
        "language": "de",
        "distance_name": "distance:misalignment",
        "value": "0.0",
        "note": "",
        "iso639_3": "",
        "from": "en",
        "source": str(table),
        "measure": "user table",
    }


def test_example_intervals_deterministic_per_seed(example_runs):
    runs, _, _ = example_runs
    first = compare_runs(runs, lang2vec=[], seed=3, n_bootstrap=200)
    again = compare_runs(runs, lang2vec=[], seed=3, n_bootstrap=200)
    other = compare_runs(runs, lang2vec=[], seed=4, n_bootstrap=200)
    assert first.cells[("de", "pgd")].ci == again.cells[("de", "pgd")].ci
    assert first.cells[("de", "pgd")].ci != other.cells[("de", "pgd")].ci


def test_per_example_files_must_reproduce_the_metrics_and_share_examples(example_runs, tmp_path):
    runs, outcomes, _ = example_runs
    broken = tmp_path / "broken"
    scores = {code: float(numpy.mean(v[0])) for code, v in outcomes["pgd"].items()}
    per_example = {code: v[0] for code, v in outcomes["pgd"].items()}
    write_report(broken, {**scores, "de": scores["de"] + 0.01}, per_example=per_example)
    with pytest.raises(InputFileError) as error:
        compare_runs({"baseline": runs["baseline"], "pgd": [broken]}, lang2vec=[])
    assert str(error.value).startswith(f"{broken}/per_example/de.jsonl: gives accuracy = ")
    other = tmp_path / "other"
    write_report(other, scores, per_example=per_example)
    lines = (other / "per_example" / "de.jsonl").read_text().splitlines()
    lines[4] = lines[4].replace('"de-4"', '"de-x"')
    (other / "per_example" / "de.jsonl").write_text("\n".join(lines) + "\n")
    with pytest.raises(
        InputFileError, match="has other test examples than .* \\(from example 5: 300 vs 300"
    ):
        compare_runs({"baseline": runs["baseline"], "pgd": [other]}, lang2vec=[])


# -- generalized pairs ------------------------------------------------------------------------


def test_pair_gains_against_both_languages_distances(syntactic, tmp_path: Path):
    codes = ["en", "de", "zh"]
    keys = [f"{a}-{b}" for a in codes for b in codes]
    base_pairs = {key: 0.5 + 0.01 * i for i, key in enumerate(keys)}
    pair_gain = {key: 0.003 * ((i * 7) % 9) for i, key in enumerate(keys)}
    runs = {}
    for method, shift in (("baseline", 0.0), ("pgd", 1.0)):
        runs[method] = [
            write_report(
                tmp_path / f"{method}-{seed}",
                {"en": 0.8, "de": 0.7 + 0.01 * shift, "zh": 0.6 + 0.02 * shift},
                pairs={k: v + shift * pair_gain[k] + 0.001 * seed for k, v in base_pairs.items()},
            )
            for seed in range(2)
        ]
    out = run(runs, tmp_path / "out", lang2vec=["syntactic"])
    pair_rows = [r for r in out["comparison"] if r["role"] == "pair"]
    assert sorted({r["language"] for r in pair_rows}) == sorted(k for k in keys if k != "en-en")
    correlations = {r["predictor"]: r for r in out["correlations"] if r["unit"] == "pair"}
    assert sorted(correlations) == ["lang2vec:syntactic:between", "lang2vec:syntactic:mean"]
    used = correlations["lang2vec:syntactic:mean"]["keys"].split()
    assert len(used) == 8 and "en-en" not in used
    ys = [pair_gain[k] for k in used]
    mean_x = [
        numpy.mean([independent_distance(syntactic, part, "en") for part in k.split("-")])
        for k in used
    ]
    between_x = [independent_distance(syntactic, *k.split("-")) for k in used]
    for name, xs in (("mean", mean_x), ("between", between_x)):
        row = correlations[f"lang2vec:syntactic:{name}"]
        assert number(row["spearman"]) == pytest.approx(stats.spearmanr(xs, ys).statistic)
        assert number(row["pearson"]) == pytest.approx(stats.pearsonr(xs, ys).statistic)
    assert (tmp_path / "out" / "pair_gain_vs_distance.png").is_file()
    assert "| de-zh | pair |" in (tmp_path / "out" / "comparison.md").read_text()


# -- alignment --------------------------------------------------------------------------------


def write_alignment(directory: Path, levels, summary_layer=7) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    columns = "model,language,layer,cos_parallel,cos_random,cos_gap,p_at_1,p_at_1_reverse,cka"
    lines = [columns]
    for (model, language, layer), (gap, p_at_1) in levels.items():
        lines.append(f"{model},{language},{layer},0.9,{0.9 - gap},{gap},{p_at_1},{p_at_1},0.5")
    (directory / "alignment.csv").write_text("\n".join(lines) + "\n")
    if summary_layer is not None:
        (directory / "alignment.json").write_text(json.dumps({"summary_layer": summary_layer}))
    return directory


def test_gains_against_the_change_of_alignment(seed_runs, tmp_path: Path):
    runs, _, gain = seed_runs
    rng = numpy.random.default_rng(2)
    levels = {}
    for code in XNLI:
        for layer in (0, 7):
            levels[("baseline", code, layer)] = (rng.uniform(0, 0.3), rng.uniform(0.2, 0.9))
            levels[("pgd#0", code, layer)] = (rng.uniform(0, 0.3), rng.uniform(0.2, 0.9))
            levels[("pgd#1", code, layer)] = (rng.uniform(0, 0.3), rng.uniform(0.2, 0.9))
    alignment = write_alignment(tmp_path / "alignment", levels)
    comparison = compare_runs(runs, lang2vec=[], alignment_dir=str(alignment), scores=True)
    assert any("no model named 'rsrp'" in note for note in comparison.notes)
    found = {(r.method, r.quantity, r.predictor): r for r in comparison.correlations}
    assert sorted(found) == [
        ("baseline", "score", "alignment:cos_gap"),
        ("baseline", "score", "alignment:p_at_1"),
        ("pgd", "gain", "alignment:cos_gap"),
        ("pgd", "gain", "alignment:p_at_1"),
        ("pgd", "score", "alignment:cos_gap"),
        ("pgd", "score", "alignment:p_at_1"),
    ]
    for position, metric in enumerate(("cos_gap", "p_at_1")):
        change = [
            (levels[("pgd#0", c, 7)][position] + levels[("pgd#1", c, 7)][position]) / 2
            - levels[("baseline", c, 7)][position]
            for c in TARGETS
        ]
        ys = [gain[c] for c in TARGETS]
        row = found[("pgd", "gain", f"alignment:{metric}")]
        assert row.result.spearman == pytest.approx(stats.spearmanr(change, ys).statistic)
        assert row.result.pearson == pytest.approx(stats.pearsonr(change, ys).statistic)
        level = [levels[("baseline", c, 7)][position] for c in TARGETS]
        scores = [comparison.cells[(c, "baseline")].mean for c in TARGETS]
        score_row = found[("baseline", "score", f"alignment:{metric}")]
        assert score_row.result.spearman == pytest.approx(stats.spearmanr(level, scores).statistic)
    at_zero = compare_runs(runs, lang2vec=[], alignment_dir=str(alignment), alignment_layer=0)
    row = next(r for r in at_zero.correlations if r.predictor == "alignment:cos_gap")
    change = [
        levels[("pgd#0", c, 0)][0] / 2
        + levels[("pgd#1", c, 0)][0] / 2
        - levels[("baseline", c, 0)][0]
        for c in TARGETS
    ]
    assert row.result.spearman == pytest.approx(
        stats.spearmanr(change, [gain[c] for c in TARGETS]).statistic
    )
    write_comparison(comparison, tmp_path / "out")
    assert "Alignment: " in (tmp_path / "out" / "comparison.md").read_text()


def test_alignment_errors(seed_runs, tmp_path: Path):
    runs, _, _ = seed_runs
    only_pgd = write_alignment(tmp_path / "a", {("pgd", "de", 7): (0.1, 0.5)})
    with pytest.raises(InputFileError, match="has no model named 'baseline' .* models: pgd"):
        compare_runs(runs, lang2vec=[], alignment_dir=str(only_pgd))
    no_layer = write_alignment(tmp_path / "b", {("baseline", "de", 7): (0.1, 0.5)}, None)
    with pytest.raises(InputFileError, match="alignment.json: file not found; give the layer"):
        compare_runs(runs, lang2vec=[], alignment_dir=str(no_layer))
    with pytest.raises(InputFileError, match="has no row at layer 3 \\(layers: 7\\)"):
        compare_runs(runs, lang2vec=[], alignment_dir=str(no_layer), alignment_layer=3)


# -- synthetic languages: no lang2vec, user distances and families ------------------------------


def test_synthetic_languages_need_user_distances(tmp_path: Path):
    codes = ["en", "qaa", "qab", "qac", "qad"]
    runs = write_runs(
        tmp_path / "runs",
        {
            "baseline": {c: [0.9 - 0.1 * i, 0.91 - 0.1 * i] for i, c in enumerate(codes)},
            "rsda": {c: [0.9 - 0.05 * i, 0.92 - 0.05 * i] for i, c in enumerate(codes)},
        },
        task="pawsx",
    )
    with pytest.raises(RobustXltError) as error:
        compare_runs(runs)
    assert "language 'qaa' has no ISO 639-3 code" in str(error.value)
    assert "give its distances with --distances FILE" in str(error.value)
    table = tmp_path / "misalignment.csv"
    table.write_text("language,distance_name,value\nqaa,misalignment,1\nqab,misalignment,2\n"
                     "qac,misalignment,3\nqad,misalignment,4\n")  # fmt: skip
    families = tmp_path / "families.csv"
    families.write_text("language,family,genus\nqaa,A,A1\nqab,A,A2\nqac,B,B1\nqad,B,B1\n")
    out = run(
        runs,
        tmp_path / "out",
        lang2vec=[],
        distance_files=[str(table)],
        families_file=str(families),
    )
    (row,) = out["correlations"]
    assert number(row["spearman"]) == pytest.approx(1.0) and row["n"] == "4"
    groups = {
        (r["level"], r["group"]): r["languages"] for r in out["families"] if r["method"] == "rsda"
    }
    assert groups == {
        ("average", "all targets"): "qaa qab qac qad",
        ("family", "A"): "qaa qab",
        ("family", "B"): "qac qad",
        ("genus", "A1"): "qaa",
        ("genus", "A2"): "qab",
        ("genus", "B1"): "qac qad",
    }


# -- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "specs, problem",
    [
        (["baseline", "pgd=b"], "'baseline' is not NAME=DIR[,DIR...]"),
        (["=a", "pgd=b"], "'=a' is not NAME=DIR"),
        (["a=", "pgd=b"], "'a=' is not NAME=DIR"),
        (["a=x,,y", "pgd=b"], "'a=x,,y' is not NAME=DIR"),
        (["a=x", "a=y"], "names the method 'a' twice"),
        (["a=x", "b=x"], "x is given twice (for a and b)"),
        (["a=x"], "needs at least two methods"),
    ],
)
def test_unparseable_runs(specs, problem):
    with pytest.raises(ParameterError) as error:
        parse_runs(specs)
    assert str(error.value).startswith("xtreme-compare: parameter '--runs' ")
    assert problem in str(error.value)


@pytest.fixture
def two_runs(tmp_path: Path):
    scores = {"en": 0.8, "de": 0.7, "fr": 0.72}
    return {
        "baseline": [write_report(tmp_path / "b0", scores)],
        "pgd": [write_report(tmp_path / "p0", scores)],
    }


def test_reports_of_another_task_split_or_metric(two_runs, tmp_path: Path):
    scores = {"en": 0.8, "de": 0.7, "fr": 0.72}
    pawsx = write_report(tmp_path / "pawsx", scores, task="pawsx")
    with pytest.raises(InputFileError) as error:
        compare_runs({**two_runs, "x": [pawsx]}, lang2vec=[])
    assert str(error.value) == (
        f"{pawsx}/metrics.json: is a report of task 'pawsx', but {two_runs['baseline'][0]}/metrics.json"
        " is of 'xnli': compare reports of one task"
    )
    dev = write_report(tmp_path / "dev", scores, split="dev")
    with pytest.raises(InputFileError, match="is a report of split 'dev'"):
        compare_runs({**two_runs, "x": [dev]}, lang2vec=[])
    f1 = write_report(tmp_path / "f1", scores, metric="f1")
    with pytest.raises(
        InputFileError, match="reports 'f1' as its metric, .* choose one with --metric"
    ):
        compare_runs({**two_runs, "x": [f1]}, lang2vec=[])
    with pytest.raises(InputFileError, match="has no metric 'f1' \\(it has: accuracy\\)"):
        compare_runs({**two_runs, "x": [f1]}, lang2vec=[], metric="f1")


def test_missing_or_corrupt_metrics(two_runs, tmp_path: Path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(
        InputFileError, match="empty/metrics.json: file not found: is the directory"
    ):
        compare_runs({**two_runs, "x": [empty]}, lang2vec=[])
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    (corrupt / "metrics.json").write_text('{\n  "task": "xnli",\n  oops\n}\n')
    with pytest.raises(InputFileError) as error:
        compare_runs({**two_runs, "x": [corrupt]}, lang2vec=[])
    assert str(error.value).startswith(f"{corrupt}/metrics.json:3: invalid JSON")
    with pytest.raises(InputFileError, match="nowhere: not a directory"):
        compare_runs({**two_runs, "x": [tmp_path / "nowhere"]}, lang2vec=[])
    odd = tmp_path / "odd"
    odd.mkdir()
    (odd / "metrics.json").write_text('{"task": "xnli", "metric": "accuracy"}')
    with pytest.raises(InputFileError, match="has no dict 'languages'"):
        compare_runs({**two_runs, "x": [odd]}, lang2vec=[])


def test_reference_must_be_a_run_and_nothing_is_written_on_errors(two_runs, tmp_path: Path):
    with pytest.raises(ParameterError) as error:
        compare_runs(two_runs, reference="base", lang2vec=[])
    assert str(error.value) == (
        "xtreme-compare: parameter '--reference' is 'base', not a method of --runs (baseline, pgd)"
    )


def test_output_directory_is_not_overwritten_without_force(two_runs, tmp_path: Path):
    comparison = compare_runs(two_runs, lang2vec=["syntactic"])
    output = tmp_path / "out"
    output.mkdir()
    (output / "mine.txt").write_text("keep")
    with pytest.raises(ParameterError, match="exists and is not empty; pass --force"):
        write_comparison(comparison, output)
    assert sorted(p.name for p in output.iterdir()) == ["mine.txt"]
    write_comparison(comparison, output, force=True)
    assert (output / "mine.txt").read_text() == "keep" and (output / "comparison.csv").is_file()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.")]  # no staging left


# -- languages beyond XTREME-R (the derived language table) -----------------------------------


def test_families_and_distances_over_sib200_codes(tmp_path: Path):
    """SIB-200's Flores codes: families from the derived table, lang2vec by their ISO code."""
    codes = ["eng_Latn", "deu_Latn", "fra_Latn", "hin_Deva", "yor_Latn", "swh_Latn"]
    iso = {"deu_Latn": "deu", "fra_Latn": "fra", "hin_Deva": "hin", "yor_Latn": "yor"}
    iso["swh_Latn"] = "swh"
    runs = {
        method: [
            write_report(
                tmp_path / f"{method}-{seed}",
                {code: 0.5 + 0.01 * i + shift + 0.001 * seed for i, code in enumerate(codes)},
                task="sib200",
                sources=("eng_Latn",),
            )
            for seed in range(2)
        ]
        for method, shift in (("baseline", 0.0), ("pgd", 0.02))
    }
    out = run(runs, tmp_path / "out", lang2vec=["syntactic", "genetic"])
    families = {(r["level"], r["group"]) for r in out["families"] if r["method"] == "pgd"}
    assert ("family", "Indo-European") in families and ("family", "Atlantic-Congo") in families
    assert ("genus", "Germanic") in families and ("genus", "Volta-Congo") in families
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import lang2vec.lang2vec as l2v

        features = l2v.get_features(["eng", *iso.values()], "syntax_knn")
    vectors = {code: numpy.array(features[value], dtype=float) for code, value in iso.items()}
    english = numpy.array(features["eng"], dtype=float)
    syntactic_rows = [r for r in out["distances"] if r["distance_name"] == "lang2vec:syntactic"]
    by_code = {r["language"]: r for r in syntactic_rows}
    for code, value in iso.items():
        assert by_code[code]["iso639_3"] == value
        expected = float(distance.cosine(vectors[code], english))
        assert number(by_code[code]["value"]) == pytest.approx(expected)
    overrides = tmp_path / "families.csv"
    overrides.write_text("language,family,genus\nyor_Latn,Niger-Congo,Defoid\n", encoding="utf-8")
    out = run(runs, tmp_path / "out2", lang2vec=[], families_file=str(overrides))
    groups = {r["group"]: r["languages"] for r in out["families"] if r["method"] == "pgd"}
    assert groups["Defoid"] == "yor_Latn" and groups["Atlantic-Congo"] == "swh_Latn"
