"""lang2vec-feature cosine distances against lang2vec and scipy directly, and the user tables."""

import warnings
from pathlib import Path

import pytest
from scipy.spatial import distance

from allennlp_robust_xlt.analysis import language_distances
from allennlp_robust_xlt.analysis.language_distances import (
    LANG2VEC_FEATURE_SETS,
    lang2vec_distance,
    lang2vec_distances,
    macrolanguage_codes,
    read_distance_table,
)
from allennlp_robust_xlt.common.errors import InputFileError, RobustXltError


def lang2vec_features(codes, feature_set):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import lang2vec.lang2vec as l2v

        return l2v.get_features(codes, feature_set)


@pytest.mark.parametrize("name", ["syntactic", "phonological", "inventory", "geographic"])
def test_distances_from_english_are_one_minus_cosine_of_lang2vec_vectors(name: str):
    feature_set = LANG2VEC_FEATURE_SETS[name]
    # ISO 639-3 codes typed in here, independently of the languages table.
    iso = {"en": "eng", "de": "deu", "zh": "cmn", "sw": "swh", "ar": "arb"}
    features = lang2vec_features(list(iso.values()), feature_set)
    computed = {d.language: d for d in lang2vec_distances(["de", "zh", "sw", "ar"], [name])}
    for code in ("de", "zh", "sw", "ar"):
        expected = distance.cosine(features[iso[code]], features["eng"])
        assert computed[code].value == pytest.approx(expected, abs=1e-12)
        assert computed[code].other == "en" and computed[code].note == ""
        assert computed[code].source == f"lang2vec {feature_set}"
    assert lang2vec_distance("de", "zh", name).value == pytest.approx(
        distance.cosine(features["deu"], features["cmn"]), abs=1e-12
    )
    assert lang2vec_distance("zh", "de", name).value == lang2vec_distance("de", "zh", name).value
    assert lang2vec_distance("de", "de", name).value == pytest.approx(0.0, abs=1e-12)


def test_all_zero_vectors_give_no_value_and_say_why():
    values = {d.language: d for d in lang2vec_distances(["eu", "et", "fi"], ["genetic"])}
    assert values["eu"].value is None
    assert values["eu"].note == "lang2vec's fam vector of eus is all zero: distance undefined"
    assert values["et"].value is None and "ekk is all zero" in values["et"].note
    features = lang2vec_features(["fin", "eng"], "fam")
    assert values["fi"].value == pytest.approx(distance.cosine(features["fin"], features["eng"]))
    # Basque has vectors in the other sets.
    assert lang2vec_distance("eu", "en", "syntactic").value > 0


def test_missing_values_are_not_filled_in():
    import numpy

    value, note = language_distances.cosine_distance(
        numpy.array([1.0, numpy.nan, 0.0]), numpy.array([1.0, 1.0, 1.0]), ("xxx", "eng"), "v's "
    )
    assert value is None
    assert note == "v's vector of xxx has 1 of 3 values missing: distance undefined"


def test_languages_lang2vec_lacks_are_one_clear_line():
    with pytest.raises(RobustXltError) as error:
        lang2vec_distances(["de", "qaa"], ["syntactic"])
    assert str(error.value) == (
        "language 'qaa' has no ISO 639-3 code in allennlp_robust_xlt.common.languages, so"
        " lang2vec has no distances for it; leave lang2vec out (--lang2vec none) and give its"
        " distances with --distances FILE"
    )
    with pytest.raises(RobustXltError, match="'xx' has no ISO 639-3 code"):
        lang2vec_distance("xx", "en", "syntactic")


def test_macrolanguage_codes_where_lang2vec_maps_two_letter_codes_elsewhere():
    assert macrolanguage_codes() == {
        "ar": ("arb", "ara"),
        "et": ("ekk", "est"),
        "fa": ("pes", "fas"),
        "ms": ("zsm", "msa"),
        "sw": ("swh", "swa"),
        "zh": ("cmn", "zho"),
        "az": ("azj", "aze"),
        "qu": ("quy", "que"),
    }


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_read_distance_table(tmp_path: Path):
    path = write(
        tmp_path / "d.csv",
        "language,distance_name,value,note\n"
        "qaa,misalignment,0.5,\n"
        "qab,misalignment,1.25,\n"
        "\n"
        "qac,misalignment,,not measured\n"
        "qaa,offset,2,\n",
    )
    table = read_distance_table(path)
    assert sorted(table) == ["misalignment", "offset"]
    assert {code: v.value for code, v in table["misalignment"].items()} == {
        "qaa": 0.5,
        "qab": 1.25,
        "qac": None,
    }
    assert table["misalignment"]["qac"].note == "not measured"
    assert table["offset"]["qaa"].value == 2.0
    # Without a note column an empty value says where it is missing.
    plain = write(tmp_path / "p.csv", "language,distance_name,value\nde,x,\n")
    assert read_distance_table(plain)["x"]["de"].note == "no value in p.csv"


@pytest.mark.parametrize(
    "text, location, problem",
    [
        ("lang,name,value\nde,x,1\n", ":1:", "expected the header language,distance_name,value"),
        ("language,distance_name,value\nde,x,1\nfr,x,abc\n", ":3:", "value 'abc' is not a number"),
        ("language,distance_name,value\nde,x,inf\n", ":2:", "not a finite number"),
        ("language,distance_name,value\nde,x,1,2\n", ":2:", "expected 3 columns, got 4"),
        ("language,distance_name,value\nde,x,1\nde,x,2\n", ":3:", "(the first is on line 2)"),
        ("language,distance_name,value\n,x,1\n", ":2:", "must be non-empty"),
        ("language,distance_name,value\n", "", "has no distance rows after the header"),
    ],
)
def test_distance_table_errors_name_file_and_line(tmp_path: Path, text, location, problem):
    path = write(tmp_path / "bad.csv", text)
    with pytest.raises(InputFileError) as error:
        read_distance_table(path)
    message = str(error.value)
    assert message.startswith(str(path) + location) and problem in message
    assert "\n" not in message


def test_missing_distance_table(tmp_path: Path):
    with pytest.raises(InputFileError, match="none.csv: file not found"):
        read_distance_table(tmp_path / "none.csv")
