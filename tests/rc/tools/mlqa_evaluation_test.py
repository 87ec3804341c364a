from typing import List

import pytest

from allennlp_robust_xlt.common.errors import ParameterError
from allennlp_robust_xlt.rc.tools.mlqa_evaluation import (
    MLQA_LANGUAGES,
    evaluate_predictions,
    exact_match_score,
    f1_score,
    mixed_segmentation,
    normalize_answer,
    punctuation,
    score_questions,
)
from allennlp_robust_xlt.rc.tools.squad_evaluation import QuestionScore, read_gold_answers
from tests.rc.tools.squad_evaluation_test import DATASET, DATASET_PATH, PREDICTIONS


@pytest.mark.parametrize(
    "lang, prediction, golds, exact_match, f1, normalized",
    [
        ("en", "«The» Eiffel Tower", ["eiffel tower"], 1.0, 1.0, "eiffel tower"),
        (
            "en",
            "the cat sat on the mat",
            ["a cat on a mat"],
            0.0,
            0.8571428571428571,
            "cat sat on mat",
        ),
        ("en", "", [""], 1.0, 0.0, ""),
        ("es", "¿El perro y la gata?", ["perro gata y"], 0.0, 1.0, "perro y gata"),
        ("es", "Los Angeles", ["Angeles"], 1.0, 1.0, "angeles"),
        ("de", "der Hund und die Katze", ["Hund, Katze"], 0.0, 0.8, "hund und katze"),
        ("de", "„Unter den Linden“", ["Unter Linden"], 1.0, 1.0, "unter linden"),
        ("vi", "những chiếc xe là của tôi", ["xe tôi"], 1.0, 1.0, "xe tôi"),
        ("vi", "Hà Nội, thủ đô", ["thủ đô Hà Nội", "Hà Nội"], 0.0, 1.0, "hà nội thủ đô"),
        ("ar", "المدينة الكبيرة", ["مدينة كبيرة"], 1.0, 1.0, "مدينة كبيرة"),
        ("ar", "مال الرجل، القاهرة", ["م رجل"], 0.0, 0.8, "م رجل قاهرة"),
        ("ar", "ما هو؟", ["هو"], 0.0, 0.6666666666666666, "ما هو"),
        ("hi", "भारत की राजधानी।", ["भारत की राजधानी"], 1.0, 1.0, "भारत की राजधानी"),
        ("hi", "नई दिल्ली", ["दिल्ली", "नई"], 0.0, 0.6666666666666666, "नई दिल्ली"),
        ("zh", "北京大学", ["北京"], 0.0, 0.6666666666666666, "北 京 大 学"),
        (
            "zh",
            "我住在北京2008年，iPhone 12。",
            ["北京 2008年 iphone"],
            0.0,
            0.7142857142857143,
            "我 住 在 北 京 2008 年 iphone 12",
        ),
        ("zh", "《红楼梦》", ["红楼梦"], 1.0, 1.0, "红 楼 梦"),
        ("zh", "ABC公司", ["abc公司"], 1.0, 1.0, "abc 公 司"),
        ("zh", "", ["北京"], 0.0, 0.0, ""),
    ],
)
def test_question_scores_equal_the_official_script(
    lang: str, prediction: str, golds: List[str], exact_match: float, f1: float, normalized: str
) -> None:
    """
    Expected values: XTREME's `third_party/evaluate_mlqa.py` (google-research/xtreme @ 838c13b;
    MLQA's `mlqa_evaluation_v1.py` @ 24bf470 gives the same) run on these cases
    (`metric_max_over_ground_truths` of its `exact_match_score`/`f1_score`, and
    `normalize_answer`), under Python 3.10. They show Unicode punctuation removal (« » ¿ „ “ ،
    ؟ । 《》 ， 。), each language's articles (Arabic's `ال` removed also inside a word: "مال" ->
    "م"), no articles for Hindi and Chinese, Chinese character tokens with Latin and digit runs
    kept whole, and the maximum over gold answers.
    """
    assert exact_match_score(prediction, golds, lang) == exact_match
    assert f1_score(prediction, golds, lang) == pytest.approx(f1, abs=1e-15)
    assert normalize_answer(prediction, lang) == normalized


def test_the_language_table_is_mlqas() -> None:
    assert sorted(MLQA_LANGUAGES) == ["ar", "de", "en", "es", "hi", "vi", "zh"]
    assert [lang for lang, rules in MLQA_LANGUAGES.items() if rules.articles is None] == [
        "hi",
        "zh",
    ]
    assert [lang for lang, rules in MLQA_LANGUAGES.items() if rules.segmentation == "mixed"] == [
        "zh"
    ]


def test_english_differs_from_squad_only_by_unicode_punctuation() -> None:
    from allennlp_robust_xlt.rc.tools import squad_evaluation

    assert normalize_answer("«Paris», the city", "en") == "paris city"
    assert squad_evaluation.normalize_answer("«Paris», the city") == "«paris» city"


def test_punctuation_set() -> None:
    punct = punctuation()
    for char in "«»。、，،؟।¿¡—–…“”‘’《》・" + "$+<=>^`|~" + "!\"#%&'()*,-./:;?@[\\]_{}":
        assert char in punct, char
    for char in "€°©a1 北ال":
        assert char not in punct, char


def test_mixed_segmentation() -> None:
    assert mixed_segmentation("我住在北京2008年，iPhone 12。") == (
        ["我", "住", "在", "北", "京", "2008", "年", "，", "iPhone", "12", "。"]
    )
    # Only U+4E00-U+9FA5 are split off: U+9FA6 and the extension-A character U+3400 are not.
    assert mixed_segmentation("漢字\u9fa6\u3400ab c") == ["漢", "字", "\u9fa6\u3400ab", "c"]
    assert mixed_segmentation("") == []


def test_unknown_language_is_a_parameter_error_listing_the_known_ones() -> None:
    for call in (
        lambda: normalize_answer("x", "fr"),
        lambda: f1_score("x", ["x"], "fr"),
        lambda: evaluate_predictions(DATASET, PREDICTIONS, "fr"),
        lambda: score_questions({}, {}, "fr"),
    ):
        with pytest.raises(ParameterError) as error:
            call()
        assert "'fr'" in str(error.value)
        assert "ar, de, en, es, hi, vi, zh" in str(error.value)


@pytest.mark.parametrize(
    "lang, f1",
    [("en", 0.4642857142857143), ("zh", 0.503030303030303)]
    + [(lang, 0.3363636363636363) for lang in ("es", "de", "ar", "hi", "vi")],
)
def test_file_scores_equal_the_official_script(lang: str, f1: float) -> None:
    """
    Expected values: XTREME's `evaluate_mlqa.py DATASET_PATH PREDICTIONS_PATH lang` (and MLQA's
    `mlqa_evaluation_v1.py`, identical) printed exact_match 25.0 for en and 0.0 for the others,
    f1 46.42857142857143 (en), 50.303030303030305 (zh) and 33.63636363636363 (es, de, ar, hi,
    vi); here as fractions. Without English articles "the Eiffel Tower" no longer matches, and in
    zh "北京" shares two of the four character tokens of "北京大学".
    """
    expected = {"exact_match": 0.25 if lang == "en" else 0.0, "f1": f1, "count": 4}
    for dataset in (DATASET, DATASET_PATH):
        assert evaluate_predictions(dataset, PREDICTIONS, lang) == pytest.approx(expected)


def test_per_question_scores() -> None:
    per_question = score_questions(read_gold_answers(DATASET), PREDICTIONS, "zh")
    assert list(per_question) == ["q1", "q2", "q3", "q4"]
    assert per_question["q1"] == QuestionScore(0.0, pytest.approx(0.8))
    assert per_question["q3"] == QuestionScore(0.0, pytest.approx(2 / 3))
    assert per_question["q4"] == QuestionScore(0.0, 0.0)
