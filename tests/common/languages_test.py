import pytest

from allennlp_robust_xlt.common.errors import ParameterError
from allennlp_robust_xlt.common.languages import (
    LANGUAGES,
    SYNTHETIC_LANGUAGES,
    TASK_LANGUAGES,
    XTREME_LANGUAGES,
    XTREME_R_ADDED_LANGUAGES,
    check_language_codes,
    describe_known_codes,
    family_groups,
)


def test_every_xtreme_and_xtreme_r_language_has_metadata():
    assert len(XTREME_LANGUAGES) == 40
    assert len(XTREME_R_ADDED_LANGUAGES) == 10
    assert len(SYNTHETIC_LANGUAGES) == 26
    assert len(LANGUAGES) == 76
    for code, language in LANGUAGES.items():
        assert language.code == code and len(code) == (3 if code in SYNTHETIC_LANGUAGES else 2)
        assert language.name and language.family and language.genus and language.script
    # ISO 639-2 reserves qaa-qtz for local use: no real language can collide with them.
    assert all("qaa" <= code <= "qtz" for code in SYNTHETIC_LANGUAGES)


def test_task_languages():
    assert TASK_LANGUAGES["xnli"] == tuple("en ar bg de el es fr hi ru sw th tr ur vi zh".split())
    assert TASK_LANGUAGES["pawsx"] == tuple("en de es fr ja ko zh".split())
    for codes in TASK_LANGUAGES.values():
        assert set(codes) <= set(LANGUAGES)


def test_facts_used_by_the_report():
    assert LANGUAGES["de"].family == LANGUAGES["hi"].family == "Indo-European"
    assert LANGUAGES["ar"].script == LANGUAGES["ur"].script == "Arabic"
    assert LANGUAGES["sw"].family == "Niger-Congo"
    assert dict(family_groups(["de", "zh", "fr", "ar"])) == {
        "Indo-European": ["de", "fr"],
        "Sino-Tibetan": ["zh"],
        "Afro-Asiatic": ["ar"],
    }


def test_unknown_codes_list_the_known_ones():
    assert check_language_codes(["de", "fr"], TASK_LANGUAGES["xnli"], "C", "languages") == [
        "de",
        "fr",
    ]
    with pytest.raises(ParameterError) as error:
        check_language_codes(["de", "ko"], TASK_LANGUAGES["xnli"], "C", "languages")
    assert (
        str(error.value) == "C: parameter 'languages' has the unknown language code 'ko'; "
        "known codes: en ar bg de el es fr hi ru sw th tr ur vi zh"
    )
    described = describe_known_codes("pawsx")
    assert described.startswith(
        "known PAWS-X languages: en de es fr ja ko zh; other known codes: af ar"
    )
    assert "ja" not in described.split(";")[1].split()
