import pytest

from allennlp_robust_xlt.common import language_table
from allennlp_robust_xlt.common.language_table import (
    TABLE,
    FamilyTree,
    family_and_genus,
    generate_rows,
    split_code,
    table_codes,
    table_text,
)
from allennlp_robust_xlt.common.languages import (
    DERIVED_LANGUAGES,
    LANGUAGES,
    family_groups,
    get_language,
    is_known_language,
    is_source_language,
)
from allennlp_robust_xlt.tasks import TASKS


@pytest.fixture(scope="module")
def tree() -> FamilyTree:
    return FamilyTree()


def test_the_shipped_table_is_what_the_generator_writes():
    # lang2vec, langcodes and language_data are pinned on both stacks: nothing is skipped.
    assert TABLE.read_text(encoding="utf-8") == table_text(generate_rows())


def test_the_table_covers_every_language_of_every_task():
    for task in TASKS.values():
        for code in task.all_languages + task.train_languages:
            assert is_known_language(code), (task.key, code)
            assert get_language(code) is not None, (task.key, code)
    assert len(TASKS["sib200"].languages) == 205
    assert len(TASKS["masakhaner"].languages) == 20
    assert set(table_codes(list(LANGUAGES))) == set(DERIVED_LANGUAGES)
    assert not set(DERIVED_LANGUAGES) & set(LANGUAGES)


def test_flores_codes_carry_the_iso_code_and_the_script():
    assert split_code("zho_Hant") == ("zho", "Hant")
    assert split_code("yor") == ("yor", "")
    chinese = DERIVED_LANGUAGES["zho_Hant"]
    assert chinese.iso639_3 == "zho" and chinese.script == "Traditional"
    assert DERIVED_LANGUAGES["eng_Latn"].name == "English"
    assert DERIVED_LANGUAGES["yor"].name == "Yoruba"


def test_lineage_runs_from_the_family_down(tree: FamilyTree):
    lineage = tree.lineage("deu")
    assert lineage[:2] == ["Indo-European", "Germanic"]
    sizes = [int(tree.sizes[tree.features.index(node)]) for node in lineage]
    assert sizes == sorted(sizes, reverse=True)
    assert family_and_genus(lineage) == ("Indo-European", "Germanic")
    # An isolate is its own genus; a language URIEL lacks is unclassified, not guessed.
    assert family_and_genus(tree.lineage("kor")) == ("Koreanic", "Koreanic")
    assert tree.lineage("ekk") == []
    assert family_and_genus([]) == ("Unclassified", "Unclassified")


def test_derived_rows_group_by_family():
    groups = family_groups(["deu_Latn", "yor", "swh_Latn", "fra_Latn"])
    assert groups == {
        "Indo-European": ["deu_Latn", "fra_Latn"],
        "Atlantic-Congo": ["yor", "swh_Latn"],
    }
    assert DERIVED_LANGUAGES["yor_Latn"].genus == "Volta-Congo"


def test_english_is_the_source_in_any_spelling():
    assert is_source_language("en") and is_source_language("eng_Latn")
    assert not is_source_language("deu_Latn") and not is_source_language("yor")
    assert "eng_Latn" not in TASKS["sib200"].target_languages
    assert len(TASKS["sib200"].target_languages) == 204


def test_disagreements_with_the_hand_checked_rows_are_listed():
    rows = {row[0]: row for row in language_table.derived_disagreements()}
    assert rows["tr"][1:3] == ("Altaic", "Turkic")
    assert rows["sw"][1:3] == ("Niger-Congo", "Atlantic-Congo")
    assert "en" not in rows  # Indo-European > Germanic in both
