"""
`download-xtreme --tasks udpos panx` on small release archives built from the fixture files (no
network). Expected files: XTREME's own preprocessing of the same files (tests/fixtures/data/
original/{ud,panx}-expected/README.md).
"""

import re
import tarfile
import zipfile
from pathlib import Path
from typing import Dict, List

import pytest

from allennlp_robust_xlt.common.errors import InputFileError, ParameterError
from allennlp_robust_xlt.tagging.dataset_readers import XtremePanxReader, XtremeUdposReader
from allennlp_robust_xlt.testing.cli import run_allennlp
from tests import DATA_ROOT

ORIGINAL = DATA_ROOT / "original"


def ud_archive(root: Path, version: str, extra: Dict[str, str] = None) -> Path:
    path = root / f"ud-treebanks-v{version}.tgz"
    with tarfile.open(path, "w:gz") as archive:
        archive.add(ORIGINAL / f"ud-treebanks-v{version}", f"ud-treebanks-v{version}")
        for name, text in (extra or {}).items():
            member = root / "extra" / name
            member.parent.mkdir(parents=True, exist_ok=True)
            member.write_text(text, encoding="utf-8")
            archive.add(member, f"ud-treebanks-v{version}/{name}")
    return path


def language_archive(root: Path, language: str) -> Path:
    path = root / f"{language}.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        for split in ("train", "dev", "test"):
            archive.add(ORIGINAL / "panx_dataset" / language / split, split)
    return path


def panx_tar(root: Path) -> Path:
    """panx_dataset.tar as on Dropbox: a `{lang}.tar.gz` per language."""
    path = root / "panx_dataset.tar"
    with tarfile.open(path, "w") as archive:
        for language in ("en", "de"):
            archive.add(language_archive(root, language), f"{language}.tar.gz")
    return path


def amazon_zip(root: Path) -> Path:
    """AmazonPhotos.zip: the same files in a folder (XTREME unzips it with -j)."""
    path = root / "AmazonPhotos.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for language in ("en", "de"):
            archive.write(language_archive(root, language), f"panx_dataset/{language}.tar.gz")
    return path


def download(output: Path, *arguments: str) -> None:
    run_allennlp(
        "download-xtreme", str(output), "--cache-dir", str(output.parent / "cache"), *arguments
    )


def names(directory: Path) -> List[str]:
    return sorted(path.name for path in directory.iterdir())


def test_udpos_as_xtremes_scripts_write_it(tmp_path: Path, caplog: pytest.LogCaptureFixture):
    output = tmp_path / "xtreme"
    download(
        output, "--tasks", "udpos",
        "--ud-v2.5-url", str(ud_archive(tmp_path, "2.5")),
        "--ud-v2.7-url", f"file://{ud_archive(tmp_path, '2.7')}",
    )  # fmt: skip
    expected = ORIGINAL / "ud-expected"
    written = output / "udpos"
    # XTREME's languages from v2.5 (not Czech, not v2.5's Polish), XTREME-R's from v2.7 only.
    assert names(written) == sorted(path.name for path in expected.glob("*.tsv"))
    for path in written.iterdir():
        assert path.read_bytes() == (expected / path.name).read_bytes(), path.name
    assert "es_ancora-ud-test.conllu:3: XTREME's conversion" in caplog.text
    assert not [path for path in output.iterdir() if path.name.startswith(".")]
    # What it wrote reads back: the test files have their tags.
    assert len(list(XtremeUdposReader().read(written / "test-de.tsv"))) == 2


@pytest.mark.parametrize(
    "archive", [panx_tar, amazon_zip], ids=["panx_dataset.tar", "AmazonPhotos.zip"]
)
def test_panx_from_the_users_release(tmp_path: Path, archive):
    output = tmp_path / "xtreme"
    download(output, "--tasks", "panx", "--panx-url", str(archive(tmp_path)))
    expected = ORIGINAL / "panx-expected"
    assert names(output / "panx") == sorted(path.name for path in expected.glob("*.tsv"))
    for path in (output / "panx").iterdir():
        assert path.read_bytes() == (expected / path.name).read_bytes(), path.name
    assert len(list(XtremePanxReader().read(output / "panx" / "test-en.tsv"))) == 2


def test_panx_needs_the_users_copy_and_says_where_to_get_it(tmp_path: Path):
    output = tmp_path / "xtreme"
    with pytest.raises(ParameterError) as raised:
        download(output, "--tasks", "udpos", "panx", "--ud-v2.5-url", str(tmp_path / "nothing.tgz"))
    message = str(raised.value)
    assert message.startswith("download-xtreme: parameter '--panx-url' must name your copy")
    assert "issue #101" in message and "panx_dataset.tar" in message
    assert not output.exists()  # refused before any download or file


def test_the_default_run_leaves_the_tagging_tasks_out(tmp_path: Path):
    from allennlp_robust_xlt.data.download import default_tasks

    assert "udpos" not in default_tasks() and "panx" not in default_tasks()
    assert {"xnli", "pawsx"} <= set(default_tasks())


def test_a_bad_line_stops_with_nothing_written(tmp_path: Path):
    bad = "# sent_id = 1\n1\tBad\tbad\tNOUN\n\n"
    archive = ud_archive(tmp_path, "2.5", {"UD_English-Bad/en_bad-ud-train.conllu": bad})
    output = tmp_path / "xtreme"
    with pytest.raises(InputFileError) as raised:
        download(output, "--tasks", "udpos", "--ud-v2.5-url", str(archive),
                 "--ud-v2.7-url", str(ud_archive(tmp_path, "2.7")))  # fmt: skip
    assert re.search(
        r"ud-treebanks-v2\.5\.tgz!ud-treebanks-v2\.5/UD_English-Bad/en_bad-ud-train\.conllu:2:"
        r" expected 10 tab-separated columns",
        str(raised.value),
    )
    assert not list(output.rglob("*.tsv")) and not list(output.rglob(".download-*"))


def test_existing_files_need_force(tmp_path: Path):
    output = tmp_path / "xtreme"
    (output / "panx").mkdir(parents=True)
    (output / "panx" / "train-de.tsv").write_text("mine\tO\n")
    archive = str(panx_tar(tmp_path))
    with pytest.raises(ParameterError, match=r"--force.*train-de\.tsv"):
        download(output, "--tasks", "panx", "--panx-url", archive)
    assert names(output / "panx") == ["train-de.tsv"]
    assert (output / "panx" / "train-de.tsv").read_text() == "mine\tO\n"
    download(output, "--tasks", "panx", "--panx-url", archive, "--force")
    assert (output / "panx" / "train-de.tsv").read_bytes() == (
        ORIGINAL / "panx-expected" / "train-de.tsv"
    ).read_bytes()
