"""`allennlp download-xtreme` on small release archives built from the fixture files (no network)."""

import os
import subprocess
import sys
import tarfile
import zipfile
from collections import Counter
from pathlib import Path
from typing import Dict

import pytest
from allennlp.common.testing import AllenNlpTestCase
from allennlp.common.util import ensure_list

from allennlp_robust_xlt.common.errors import InputFileError, ParameterError
from allennlp_robust_xlt.pair_classification.dataset_readers import (
    XtremePawsxReader,
    XtremeXnliReader,
)
from allennlp_robust_xlt.tasks import TASKS
from allennlp_robust_xlt.testing.cli import run_allennlp
from tests import DATA_ROOT, PROJECT_ROOT, XTREME_DATA

ORIGINAL = DATA_ROOT / "original"
PAWSX_LANGUAGES = ["en", "de", "fr", "ja", "zh"]  # those of the fixture release
XNLI_LANGUAGES = ["en", "de", "fr", "zh", "ar"]


def make_archives(root: Path) -> Dict[str, Path]:
    """The three release archives, with the releases' directory layout and some macOS debris."""
    xnli = root / "XNLI-1.0.zip"
    with zipfile.ZipFile(xnli, "w") as archive:
        for split in ("dev", "test"):
            archive.write(ORIGINAL / "XNLI-1.0" / f"xnli.{split}.tsv", f"XNLI-1.0/xnli.{split}.tsv")
        archive.writestr("__MACOSX/XNLI-1.0/._xnli.test.tsv", b"\x00\x05\x16\x07junk")
    xnli_mt = root / "XNLI-MT-1.0.zip"
    with zipfile.ZipFile(xnli_mt, "w") as archive:
        archive.write(
            ORIGINAL / "XNLI-MT-1.0" / "multinli" / "multinli.train.en.tsv",
            "XNLI-MT-1.0/multinli/multinli.train.en.tsv",
        )
        archive.writestr(
            "XNLI-MT-1.0/multinli/multinli.train.de.tsv",
            "premise\thypo\tlabel\nEin Satz.\tNoch einer.\tneutral\n",
        )
    pawsx = root / "x-final.tar.gz"
    with tarfile.open(pawsx, "w:gz") as archive:
        for path in sorted((ORIGINAL / "x-final").rglob("*.tsv")):
            archive.add(path, f"x-final/{path.relative_to(ORIGINAL / 'x-final')}")
    return {"xnli": xnli, "xnli_mt": xnli_mt, "pawsx": pawsx}


def lines(path: Path):
    return path.read_text(encoding="utf-8").splitlines()


class TestDownloadXtreme(AllenNlpTestCase):
    def setup_method(self):
        super().setup_method()
        self.archives = make_archives(self.TEST_DIR)
        self.output = self.TEST_DIR / "xtreme"

    def download(self, *extra: str) -> None:
        tasks = () if "--tasks" in extra else ("--tasks", "xnli", "pawsx")  # not the QA tasks
        run_allennlp(
            "download-xtreme", str(self.output), *tasks,
            "--xnli-url", f"file://{self.archives['xnli']}",  # a file:// URL
            "--xnli-mt-url", str(self.archives["xnli_mt"]),  # a plain path
            "--pawsx-url", str(self.archives["pawsx"]),
            "--cache-dir", str(self.TEST_DIR / "cache"),
            *extra,
        )  # fmt: skip

    def test_layout_matches_xtreme(self, capsys: pytest.CaptureFixture):
        self.download()
        xnli, pawsx = self.output / "xnli", self.output / "pawsx"
        expected_xnli = {"train-en.tsv"} | {
            f"{s}-{lang}.tsv" for s in ("dev", "test") for lang in XNLI_LANGUAGES
        }
        assert {p.name for p in xnli.iterdir()} == expected_xnli
        expected_pawsx = {"train-en.tsv"} | {
            f"{s}-{lang}.tsv" for s in ("dev", "test") for lang in PAWSX_LANGUAGES
        }
        assert {p.name for p in pawsx.iterdir()} == expected_pawsx

        # XNLI-1.0 split by language: the test files are exactly XTREME's (quotes, scripts).
        for lang in XNLI_LANGUAGES:
            assert (xnli / f"test-{lang}.tsv").read_bytes() == (
                XTREME_DATA / "xnli" / f"test-{lang}.tsv"
            ).read_bytes()
            dev = [line.split("\t") for line in lines(xnli / f"dev-{lang}.tsv")]
            assert len(dev) == 6 and Counter(row[2] for row in dev) == {
                "entailment": 2,
                "neutral": 2,
                "contradiction": 2,
            }
        # XNLI-MT: header dropped, contradictory -> contradiction, English only.
        train = [line.split("\t") for line in lines(xnli / "train-en.tsv")]
        assert len(train) == 24 and all(len(row) == 3 for row in train)
        assert Counter(row[2] for row in train) == {
            "entailment": 8,
            "neutral": 8,
            "contradiction": 8,
        }
        assert train[1] == [
            'The teacher wrote the word "Film." on the board.',
            "Something was written on the board.",
            "entailment",
        ]
        # PAWS-X: the id column and the header dropped.
        for lang in PAWSX_LANGUAGES:
            assert (pawsx / f"test-{lang}.tsv").read_bytes() == (
                XTREME_DATA / "pawsx" / f"test-{lang}.tsv"
            ).read_bytes()
            assert len(lines(pawsx / f"dev-{lang}.tsv")) == 4
        assert len(lines(pawsx / "train-en.tsv")) == 12
        assert not list(self.output.rglob("*.partial"))
        assert f"{xnli / 'train-en.tsv'}\t24 lines" in capsys.readouterr().out

        # What it wrote is read by the readers, the generalized setting included.
        assert len(list(XtremeXnliReader().read(xnli / "train-en.tsv"))) == 24
        assert len(list(XtremeXnliReader().read(xnli / "test-ar-fr.tsv"))) == 12
        assert len(list(XtremePawsxReader().read(pawsx / "test-ja-de.tsv"))) == 10

    def test_translated_training_sets(self, caplog: pytest.LogCaptureFixture):
        self.download("--translate-train")
        xnli, pawsx = (
            self.output / "xnli" / "translate-train",
            self.output / "pawsx" / "translate-train",
        )
        # The fixture releases hold German only; the others are missing with a warning.
        assert [p.name for p in xnli.iterdir()] == ["train-de.tsv"]
        assert lines(xnli / "train-de.tsv") == ["Ein Satz.\tNoch einer.\tneutral"]
        assert [p.name for p in pawsx.iterdir()] == ["train-de.tsv"]
        assert len(ensure_list(XtremePawsxReader().read(pawsx / "train-de.tsv"))) == 6
        assert "multinli/multinli.train.fr.tsv" in caplog.text
        with pytest.raises(ParameterError, match=r"--force' is needed .*xnli/train-en.tsv"):
            self.download("--tasks", "xnli", "--translate-train")

    def test_existing_files_are_kept_without_force(self):
        self.download("--tasks", "pawsx")
        assert not (self.output / "xnli").exists()
        target = self.output / "pawsx" / "dev-de.tsv"
        target.write_text("mine\tmine\t1\n", encoding="utf-8")
        with pytest.raises(
            ParameterError,
            match=r"'--force' is needed to overwrite the existing file\(s\) .*pawsx/",
        ):
            self.download()
        assert target.read_text(encoding="utf-8") == "mine\tmine\t1\n"
        assert not (self.output / "xnli").exists()  # refused before downloading anything
        self.download("--force")
        assert len(lines(target)) == 4

    def test_bad_archives(self):
        with pytest.raises(InputFileError, match="archive not found"):
            self.download("--tasks", "pawsx", "--pawsx-url", str(self.TEST_DIR / "missing.tar.gz"))
        not_an_archive = self.TEST_DIR / "plain.txt"
        not_an_archive.write_text("hello")
        with pytest.raises(InputFileError, match="is neither a zip nor a tar archive"):
            self.download("--tasks", "xnli", "--xnli-mt-url", str(not_an_archive))
        broken = self.TEST_DIR / "broken.zip"
        with zipfile.ZipFile(broken, "w") as archive:
            archive.writestr(
                "XNLI-MT-1.0/multinli/multinli.train.en.tsv",
                "premise\thypo\tlabel\nA.\tB.\tmaybe\n",
            )
        with pytest.raises(InputFileError) as error:
            self.download("--tasks", "xnli", "--xnli-mt-url", str(broken), "--force")
        assert (
            str(error.value)
            == f"{broken}!XNLI-MT-1.0/multinli/multinli.train.en.tsv:2: unknown label 'maybe';"
            " expected one of ['entailment', 'neutral', 'contradiction']"
        )
        assert not (self.output / "xnli" / "train-en.tsv").exists()
        assert not list(self.output.rglob("*.partial"))

    def test_unreachable_address_names_it_and_the_option(self):
        # Port 9 (discard) on the loopback refuses at once: no test waits on the network.
        url = "http://127.0.0.1:9/x-final.tar.gz"
        with pytest.raises(InputFileError) as error:
            self.download("--tasks", "pawsx", "--pawsx-url", url)
        message = str(error.value)
        assert message.startswith(f"{url}: could not be reached")
        assert "--pawsx-url" in message and "\n" not in message
        assert not (self.output / "pawsx").exists()


def test_default_addresses_are_the_official_releases():
    assert TASKS["xnli"].download.sources == {
        "xnli": "https://dl.fbaipublicfiles.com/XNLI/XNLI-1.0.zip",
        "xnli-mt": "https://dl.fbaipublicfiles.com/XNLI/XNLI-MT-1.0.zip",
    }
    assert TASKS["pawsx"].download.sources == {
        "pawsx": "https://storage.googleapis.com/paws/pawsx/x-final.tar.gz"
    }


@pytest.mark.slow
def test_installed_command_line(tmp_path: Path):
    """`allennlp download-xtreme` as typed in the repository (its `.allennlp_plugins` registers the command)."""
    archives = make_archives(tmp_path)
    command = [
        str(Path(sys.executable).parent / "allennlp"), "download-xtreme", str(tmp_path / "out"),
        "--tasks", "pawsx",
        "--pawsx-url", str(archives["pawsx"]), "--cache-dir", str(tmp_path / "cache"),
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    first = subprocess.run(
        command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert first.returncode == 0, first.stderr[-3000:]
    assert len(lines(tmp_path / "out" / "pawsx" / "test-ja.tsv")) == 10
    second = subprocess.run(
        command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert second.returncode != 0
    assert "error: download-xtreme: parameter '--force' is needed" in second.stderr
    assert "Traceback" not in second.stderr
