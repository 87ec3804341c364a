"""`allennlp download-xtreme --tasks xcopa siqa` on tiny release archives made here (no network)."""

import json
import logging
import tarfile
import zipfile
from pathlib import Path

import pytest
import requests
from allennlp.common.testing import AllenNlpTestCase

from allennlp_robust_xlt.common.errors import InputFileError
from allennlp_robust_xlt.data import download
from allennlp_robust_xlt.mc.dataset_readers import XtremeSiqaReader, XtremeXcopaReader
from allennlp_robust_xlt.tasks import TASKS
from allennlp_robust_xlt.testing.cli import run_allennlp
from tests import XTREME_DATA

FIXTURES = XTREME_DATA / "xcopa"
SIQA_FIXTURES = XTREME_DATA / "siqa"
LANGUAGES = ("et", "it", "zh")  # those of the tiny XCOPA release
UNREACHABLE = "http://127.0.0.1:9"


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Addresses fail at once, as without network (cached_path would retry for half a minute)."""

    local_input = download.local_input

    def refuse(url: str, *args, **kwargs):
        if "://" in url:
            raise requests.exceptions.ConnectionError(f"refused: {url}")
        return local_input(url, *args, **kwargs)

    monkeypatch.setattr(download, "local_input", refuse)


def make_copa(root: Path) -> Path:
    """SuperGLUE's COPA.zip: COPA/{train,val,test}.jsonl."""
    path = root / "COPA.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for split in ("train", "val", "test"):
            archive.write(FIXTURES / f"{split}-en.jsonl", f"COPA/{split}.jsonl")
    return path


def make_xcopa_zip(root: Path) -> Path:
    """GitHub's master.zip of cambridgeltl/xcopa: xcopa-master/data/{lang}/{split}.{lang}.jsonl."""
    path = root / "master.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for lang in LANGUAGES:
            for split in ("val", "test"):
                archive.write(
                    FIXTURES / f"{split}-{lang}.jsonl",
                    f"xcopa-master/data/{lang}/{split}.{lang}.jsonl",
                )
    return path


def make_siqa_tgz(root: Path) -> Path:
    """socialIQa_v1.4.tgz, its files at the top as XTREME's download_data.sh expects them."""
    path = root / "socialIQa_v1.4.tgz"
    with tarfile.open(path, "w:gz") as archive:
        for name in ("trn", "dev", "tst"):
            archive.add(
                SIQA_FIXTURES / f"socialIQa_v1.4_{name}.jsonl", f"socialIQa_v1.4_{name}.jsonl"
            )
    return path


def make_allenai_siqa(root: Path) -> Path:
    """AllenAI's socialiqa-train-dev.zip: {train,dev}.jsonl without answers, labels 1-3 beside."""
    path = root / "socialiqa-train-dev.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for split, name in (("train", "trn"), ("dev", "dev")):
            records = [
                json.loads(line)
                for line in (SIQA_FIXTURES / f"socialIQa_v1.4_{name}.jsonl")
                .read_text()
                .splitlines()
            ]
            labels = ["ABC".index(record.pop("correct")) + 1 for record in records]
            archive.writestr(
                f"socialiqa-train-dev/{split}.jsonl", "".join(json.dumps(r) + "\n" for r in records)
            )
            archive.writestr(
                f"socialiqa-train-dev/{split}-labels.lst", "".join(f"{label}\n" for label in labels)
            )
    return path


class TestDownloadMultipleChoice(AllenNlpTestCase):
    def setup_method(self):
        super().setup_method()
        self.output = self.TEST_DIR / "xtreme"
        self.copa = make_copa(self.TEST_DIR)
        self.xcopa = make_xcopa_zip(self.TEST_DIR)

    def download(self, *extra: str) -> None:
        run_allennlp(
            "download-xtreme", str(self.output), "--tasks", "xcopa",
            "--copa-url", str(self.copa), "--xcopa-url", str(self.xcopa),
            "--cache-dir", str(self.TEST_DIR / "cache"), *extra,
        )  # fmt: skip

    def test_xcopa_layout_matches_xtreme(self, caplog: pytest.LogCaptureFixture):
        with caplog.at_level(logging.WARNING):
            self.download()
        xcopa = self.output / "xcopa"
        expected = {f"{split}-en.jsonl" for split in ("train", "val", "test")} | {
            f"{split}-{lang}.jsonl" for split in ("val", "test") for lang in LANGUAGES
        }
        assert {path.name for path in xcopa.iterdir()} == expected
        for name in expected:  # copied line for line; the released test labels are kept
            assert (xcopa / name).read_bytes() == (FIXTURES / name).read_bytes(), name
        missing = [r.getMessage() for r in caplog.records if "has no" in r.getMessage()]
        assert missing and "ht/val.ht.jsonl" in missing[0] and "et/" not in missing[0]
        assert len(list(XtremeXcopaReader().read(xcopa / "val-it.jsonl"))) == 4
        assert TASKS["xcopa"].file_path(self.output, "dev", "it") == xcopa / "val-it.jsonl"

    def test_xcopa_from_a_directory_and_from_file_addresses(self):
        data = self.TEST_DIR / "xcopa-clone" / "data"
        (data / "et").mkdir(parents=True)
        for split in ("val", "test"):
            (data / "et" / f"{split}.et.jsonl").write_bytes(
                (FIXTURES / f"{split}-et.jsonl").read_bytes()
            )
        self.download("--xcopa-url", str(data))
        assert (self.output / "xcopa" / "test-et.jsonl").read_bytes() == (
            FIXTURES / "test-et.jsonl"
        ).read_bytes()
        assert not (self.output / "xcopa" / "val-it.jsonl").exists()

    def test_a_bad_line_names_the_member_and_line_and_leaves_nothing(self):
        broken = self.TEST_DIR / "broken.zip"
        with zipfile.ZipFile(broken, "w") as archive:
            archive.writestr(
                "COPA/train.jsonl",
                '{"premise": "A.", "choice1": "B.", "choice2": "C.", "question": "cause", "label": 3}\n',
            )
        with pytest.raises(InputFileError) as error:
            self.download("--copa-url", str(broken))
        assert str(error.value) == (
            f"{broken}!COPA/train.jsonl:1: label 3 is out of range: there are 2 choices (labels 0 to 1)"
        )
        assert not list(self.output.rglob("*.jsonl")) and not list(self.output.rglob("*.partial"))

    def test_unreachable_addresses_say_where_to_get_the_files(self, no_network: None):
        url = f"{UNREACHABLE}/xcopa/data"
        with pytest.raises(InputFileError) as error:
            self.download("--xcopa-url", url)
        message = str(error.value)
        assert message.startswith(f"{url}/et/val.et.jsonl: could not be reached (ConnectionError)")
        assert "--xcopa-url" in message and "\n" not in message


class TestDownloadSiqa(AllenNlpTestCase):
    def download(self, url: str) -> None:
        run_allennlp(
            "download-xtreme", str(self.TEST_DIR / "xtreme"), "--tasks", "siqa", "--siqa-url", url,
            "--cache-dir", str(self.TEST_DIR / "cache"),
        )  # fmt: skip

    def test_socialiqa_v1_4_as_xtreme_unpacks_it(self):
        self.download(str(make_siqa_tgz(self.TEST_DIR)))
        siqa = self.TEST_DIR / "xtreme" / "siqa"
        names = {f"socialIQa_v1.4_{name}.jsonl" for name in ("trn", "dev", "tst")}
        assert {path.name for path in siqa.iterdir()} == names
        for name in names:
            assert (siqa / name).read_bytes() == (SIQA_FIXTURES / name).read_bytes()

    def test_allenais_release_with_label_files(self):
        self.download(str(make_allenai_siqa(self.TEST_DIR)))
        siqa = self.TEST_DIR / "xtreme" / "siqa"
        assert {path.name for path in siqa.iterdir()} == {
            "socialIQa_v1.4_trn.jsonl",
            "socialIQa_v1.4_dev.jsonl",
        }
        for name in ("trn", "dev"):
            written = [
                json.loads(line)
                for line in (siqa / f"socialIQa_v1.4_{name}.jsonl").read_text().splitlines()
            ]
            original = [
                json.loads(line)
                for line in (SIQA_FIXTURES / f"socialIQa_v1.4_{name}.jsonl")
                .read_text()
                .splitlines()
            ]
            assert written == original
        assert len(list(XtremeSiqaReader().read(siqa / "socialIQa_v1.4_trn.jsonl"))) == 6

    def test_unreachable_release_names_the_alternative(self, no_network: None):
        url = f"{UNREACHABLE}/socialIQa_v1.4.tgz"
        with pytest.raises(InputFileError) as error:
            self.download(url)
        message = str(error.value)
        assert message.startswith(f"{url}: could not be reached") and "--siqa-url" in message
        assert "socialiqa-train-dev.zip" in message and "\n" not in message

    def test_an_archive_without_siqa(self):
        other = self.TEST_DIR / "other.zip"
        with zipfile.ZipFile(other, "w") as archive:
            archive.writestr("README", "nothing")
        with pytest.raises(InputFileError, match="has neither socialIQa_v1.4_trn.jsonl"):
            self.download(str(other))


def test_default_addresses_are_xtremes():
    """The addresses of google-research/xtreme's scripts/download_data.sh."""
    assert TASKS["xcopa"].download.sources == {
        "copa": "https://dl.fbaipublicfiles.com/glue/superglue/data/v2/COPA.zip",
        "xcopa": "https://raw.githubusercontent.com/cambridgeltl/xcopa/master/data",
    }
    assert TASKS["siqa"].download.sources == {
        "siqa": "https://maartensap.github.io/social-iqa/data/socialIQa_v1.4.tgz"
    }
