from pathlib import Path

import pytest

from allennlp_robust_xlt.common import languages as languages_module
from allennlp_robust_xlt.common.errors import InputFileError, ParameterError
from allennlp_robust_xlt.common.languages import (
    DERIVED_LANGUAGES,
    LANGUAGES,
    XTREME_LANGUAGES,
    XTREME_R_ADDED_LANGUAGES,
    check_language_codes,
    describe_known_codes,
    family_groups,
    get_language,
    is_known_language,
    load_language_file,
)
from allennlp_robust_xlt.tasks import TASKS


@pytest.fixture
def no_registered_languages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(languages_module, "_REGISTERED", {})


def test_every_xtreme_and_xtreme_r_language_has_metadata():
    assert len(XTREME_LANGUAGES) == 40
    assert len(XTREME_R_ADDED_LANGUAGES) == 10
    # The union of XTREME-R's task languages (evaluate.py) beyond XTREME's 40.
    assert set(XTREME_R_ADDED_LANGUAGES) == set("az gu ht lt pa pl qu ro uk wo".split())
    assert len(LANGUAGES) == 50
    for code, language in LANGUAGES.items():
        assert language.code == code and len(code) == 2
        assert language.name and language.family and language.genus and language.script
        assert len(language.iso639_3) == 3


# ISO 639-3 codes chosen for lang2vec (individual languages rather than the macrolanguages that
# the 2-letter codes map to: ar arb, zh cmn, sw swh, fa pes, ms zsm, et ekk, az azj, qu quy, as
# XTREME's own Tatoeba map uses cmn, swh, pes), typed in by hand.
ISO_639_3 = (
    "af afr, ar arb, bg bul, bn ben, de deu, el ell, en eng, es spa, et ekk, eu eus, fa pes, "
    "fi fin, fr fra, he heb, hi hin, hu hun, id ind, it ita, ja jpn, jv jav, ka kat, kk kaz, "
    "ko kor, ml mal, mr mar, ms zsm, my mya, nl nld, pt por, ru rus, sw swh, ta tam, te tel, "
    "th tha, tl tgl, tr tur, ur urd, vi vie, yo yor, zh cmn, "
    "az azj, lt lit, pl pol, uk ukr, ro ron, qu quy, wo wol, pa pan, gu guj, ht hat"
)

# WALS families (cldf-datasets/wals, cldf/languages.csv), Haitian Creole under its WALS genus.
WALS_FAMILIES = {
    "Indo-European": "af bg bn de el en es fa fr gu hi it lt mr nl pa pl pt ro ru uk ur",
    "Afro-Asiatic": "ar he",
    "Uralic": "et fi hu",
    "Austronesian": "id jv ms tl",
    "Dravidian": "ml ta te",
    "Niger-Congo": "sw wo yo",
    "Sino-Tibetan": "my zh",
    "Altaic": "az kk tr",
    "Japanese": "ja",
    "Korean": "ko",
    "Basque": "eu",
    "Kartvelian": "ka",
    "Tai-Kadai": "th",
    "Austro-Asiatic": "vi",
    "Quechuan": "qu",
    "Creoles and Pidgins": "ht",
}


def test_the_50_xtreme_r_languages_their_iso_codes_and_wals_families():
    assert sorted(XTREME_R_ADDED_LANGUAGES) == "az gu ht lt pa pl qu ro uk wo".split()
    expected_iso = dict(pair.split() for pair in ISO_639_3.split(", "))
    real = {**XTREME_LANGUAGES, **XTREME_R_ADDED_LANGUAGES}
    assert {code: language.iso639_3 for code, language in real.items()} == expected_iso
    families = {code: family for family, codes in WALS_FAMILIES.items() for code in codes.split()}
    assert {code: language.family for code, language in real.items()} == families
    assert all(language.wals for language in real.values())
    assert LANGUAGES["kk"].genus == LANGUAGES["tr"].genus == LANGUAGES["az"].genus == "Turkic"
    assert LANGUAGES["hi"].genus == "Indic" and LANGUAGES["zh"].genus == "Chinese"


def test_every_task_language_is_a_benchmark_language():
    # The XTREME(-R) tasks' languages are the hand-checked 50; the tasks beyond XTREME-R use the
    # derived table (common/language_table.py).
    for task in TASKS.values():
        if task.benchmarks:
            assert set(task.all_languages) <= set(LANGUAGES), task.key
        else:
            assert set(task.all_languages) <= set(LANGUAGES) | set(DERIVED_LANGUAGES), task.key


def test_facts_used_by_the_report():
    assert LANGUAGES["de"].family == LANGUAGES["hi"].family == "Indo-European"
    assert LANGUAGES["ar"].script == LANGUAGES["ur"].script == "Arabic"
    assert LANGUAGES["sw"].family == "Niger-Congo"
    assert dict(family_groups(["de", "zh", "fr", "ar"])) == {
        "Indo-European": ["de", "fr"],
        "Sino-Tibetan": ["zh"],
        "Afro-Asiatic": ["ar"],
    }


def test_local_use_codes_are_languages_of_ones_own_data_but_never_listed(no_registered_languages):
    # ISO 639-2 reserves qaa-qtz for local use: no real language can collide with them.
    assert is_known_language("qaa") and is_known_language("qtz")
    assert not is_known_language("qua") and not is_known_language("xx")
    assert get_language("qab") is None
    assert "qa" not in describe_known_codes()
    assert family_groups(["qab", "de"]) == {"unknown": ["qab"], "Indo-European": ["de"]}


def test_a_language_file_names_and_groups_new_languages(no_registered_languages, tmp_path: Path):
    table = tmp_path / "languages.tsv"
    table.write_text(
        "# code name family genus script\nqab\tSynthetic B\tSynthetic\tSimulated\tLatin\n"
    )
    (language,) = load_language_file(table)
    assert get_language("qab") == language and language.family == "Synthetic"
    assert family_groups(["qab"]) == {"Synthetic": ["qab"]}
    table.write_text("qac\tSynthetic C\tSynthetic\n")
    with pytest.raises(InputFileError, match=r"languages.tsv:1: expected 5 tab-separated"):
        load_language_file(table)
    table.write_text("de\tMy German\tX\tY\tLatin\n")
    with pytest.raises(ParameterError, match="is a benchmark language"):
        load_language_file(table)


def test_unknown_codes_list_the_known_ones():
    xnli = TASKS["xnli"].languages
    assert check_language_codes(["de", "fr"], xnli, "C", "languages") == ["de", "fr"]
    with pytest.raises(ParameterError) as error:
        check_language_codes(["de", "ko"], xnli, "C", "languages")
    assert (
        str(error.value) == "C: parameter 'languages' has the unknown language code 'ko'; "
        "known codes: en ar bg de el es fr hi ru sw th tr ur vi zh"
    )
    described = describe_known_codes(TASKS["pawsx"].languages, "known PAWS-X languages")
    assert described.startswith(
        "known PAWS-X languages: en de es fr ja ko zh; other known codes: af ar"
    )
    assert "ja" not in described.split(";")[1].split()
