import pytest

from allennlp_robust_xlt.common.errors import ParameterError
from allennlp_robust_xlt.common.output_dir import check_output_dir, staged_write
from allennlp_robust_xlt.testing.cli import run_allennlp


def test_check_output_dir_accepts_new_and_empty_directories(tmp_path):
    check_output_dir("cmd", tmp_path / "new", force=False)
    (tmp_path / "empty").mkdir()
    check_output_dir("cmd", tmp_path / "empty", force=False)


def test_check_output_dir_needs_force_for_a_non_empty_directory(tmp_path):
    (tmp_path / "old.txt").write_text("x")
    with pytest.raises(ParameterError, match="cmd: parameter '--output-dir' .* pass --force"):
        check_output_dir("cmd", tmp_path, force=False)
    check_output_dir("cmd", tmp_path, force=True)


@pytest.mark.parametrize("force", [False, True])
def test_check_output_dir_refuses_a_file_with_or_without_force(tmp_path, force):
    path = tmp_path / "file"
    path.write_text("x")
    with pytest.raises(ParameterError, match=f"'--output-dir' {path} is not a directory$"):
        check_output_dir("cmd", path, force=force)


def test_staged_write_moves_files_and_replaces_subdirectories(tmp_path):
    output = tmp_path / "out"
    (output / "sub").mkdir(parents=True)
    (output / "sub" / "stale.txt").write_text("old")
    (output / "kept.txt").write_text("kept")

    def write(staging):
        (staging / "sub").mkdir()
        (staging / "sub" / "new.txt").write_text("new")
        (staging / "a.txt").write_text("a")
        return [staging / "a.txt", staging / "sub" / "new.txt"]

    written = staged_write(output, write)
    assert written == [output / "a.txt", output / "sub" / "new.txt"]
    assert (output / "a.txt").read_text() == "a"
    assert sorted(p.name for p in (output / "sub").iterdir()) == ["new.txt"]
    assert (output / "kept.txt").read_text() == "kept"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no staging left


def test_staged_write_leaves_nothing_on_an_error(tmp_path):
    def write(staging):
        (staging / "a.txt").write_text("a")
        raise RuntimeError("broken")

    with pytest.raises(RuntimeError, match="broken"):
        staged_write(tmp_path / "out", write)
    assert list(tmp_path.iterdir()) == []


COMMANDS = {
    "xtreme-report": ["model.tar.gz", "data"],
    "xtreme-compare": ["--runs", "a=x", "b=y"],
    "xtreme-alignment": ["model", "data"],
    "xtreme-retrieval": ["model", "data", "--task", "tatoeba"],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("force", [False, True])
def test_every_report_command_refuses_a_file_as_output_dir_alike(tmp_path, command, force):
    path = tmp_path / "file"
    path.write_text("x")
    arguments = [command, *COMMANDS[command], "--output-dir", str(path)]
    with pytest.raises(ParameterError) as error:
        run_allennlp(*arguments, *(["--force"] if force else []))
    assert str(error.value) == f"{command}: parameter '--output-dir' {path} is not a directory"
    assert path.read_text() == "x"
