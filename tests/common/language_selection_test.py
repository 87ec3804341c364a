import logging

import pytest

from allennlp_robust_xlt.common.errors import InputFileError, ParameterError
from allennlp_robust_xlt.common.language_selection import load_language_files, select_languages
from allennlp_robust_xlt.common import languages
from allennlp_robust_xlt.common.languages import is_known_language


def select(given, available, tmp_path, **kwargs):
    return select_languages(
        "cmd",
        given,
        ["de", "fr", "zh"],
        available=lambda: available,
        directory=tmp_path,
        files="XNLI test files",
        **kwargs,
    )


def test_given_languages_are_checked_and_deduplicated(tmp_path):
    assert select(["fr", "de", "fr"], [], tmp_path) == ["fr", "de"]
    with pytest.raises(ParameterError, match="'--languages' has the unknown language code 'sw'"):
        select(["de", "sw"], ["de"], tmp_path)
    assert select(["sw"], [], tmp_path, accept=lambda code: code == "sw") == ["sw"]


def test_by_default_the_languages_with_files_and_a_warning_for_the_others(tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        assert select(None, ["de", "zh"], tmp_path) == ["de", "zh"]
    assert "no XNLI test files for fr; using de zh" in caplog.text
    with pytest.raises(InputFileError, match="has no XNLI test files for any of its languages"):
        select([], [], tmp_path)


def test_the_language_file_of_each_directory_is_loaded(tmp_path, monkeypatch):
    monkeypatch.setattr(languages, "_REGISTERED", {})
    (tmp_path / "languages.tsv").write_text("qxq\tMine\tx\tx\tLatin\n")
    assert not is_known_language("qxq")
    load_language_files(tmp_path, tmp_path / "absent", tmp_path)
    assert is_known_language("qxq")
