"""
`download-xtreme --tasks sib200` on an archive laid out as the GitHub archive of dadelani/sib-200
(`sib-200-main/data/annotated/{lang}/{split}.tsv`), built here from made-up lines (no network).
"""

import re
import zipfile
from pathlib import Path
from typing import Dict, Optional

import pytest

from allennlp_robust_xlt.classification.dataset_readers import Sib200Reader
from allennlp_robust_xlt.common.errors import InputFileError
from allennlp_robust_xlt.data.download import default_tasks
from allennlp_robust_xlt.tasks import TASKS
from allennlp_robust_xlt.testing.cli import run_allennlp
from tests import XTREME_DATA

LANGUAGES = TASKS["sib200"].languages


def release(root: Path, leave_out: str = "", replace: Optional[Dict[str, str]] = None) -> Path:
    """A zip with every language's three files: English's fixtures, the German fixture dev/test
    for the others (train: English's); `leave_out` a member, `replace` members' text."""
    path = root / "main.zip"
    fixtures = XTREME_DATA / "sib200"
    with zipfile.ZipFile(path, "w") as archive:
        for language in LANGUAGES:
            for split in ("train", "dev", "test"):
                member = f"data/annotated/{language}/{split}.tsv"
                if member == leave_out:
                    continue
                source = fixtures / ("eng_Latn" if language == "eng_Latn" else "deu_Latn")
                source = source / f"{split}.tsv"
                if not source.is_file():
                    source = fixtures / "eng_Latn" / f"{split}.tsv"
                text = (replace or {}).get(member, source.read_text(encoding="utf-8"))
                archive.writestr(f"sib-200-main/{member}", text)
        archive.writestr("sib-200-main/README.md", "SIB-200\n")
    return path


def download(output: Path, archive: Path) -> None:
    run_allennlp("download-xtreme", str(output), "--tasks", "sib200", "--sib200-url", str(archive),
                 "--cache-dir", str(output.parent / "cache"))  # fmt: skip


def test_every_language_written_unchanged_and_read_back(tmp_path: Path):
    output = tmp_path / "xtreme"
    download(output, release(tmp_path))
    written = output / "sib200"
    assert sorted(path.name for path in written.iterdir()) == sorted(LANGUAGES)
    english = (XTREME_DATA / "sib200" / "eng_Latn" / "dev.tsv").read_bytes()
    assert (written / "eng_Latn" / "dev.tsv").read_bytes() == english
    assert len(list(Sib200Reader().read(written / "zho_Hant" / "test.tsv"))) == 7
    assert "sib200" not in default_tasks()  # 615 files: only with --tasks sib200


def test_a_listed_language_missing_from_the_archive_is_one_line(tmp_path: Path):
    output = tmp_path / "xtreme"
    with pytest.raises(InputFileError) as raised:
        download(output, release(tmp_path, leave_out="data/annotated/yor_Latn/test.tsv"))
    assert str(raised.value) == (
        f"{tmp_path / 'main.zip'}: the archive has no member data/annotated/yor_Latn/test.tsv"
    )
    assert not list(output.rglob("*.tsv"))  # nothing half-written


@pytest.mark.parametrize(
    "text, problem",
    [
        ("index_id\tlabel\ttext\n", r":1: expected the header index_id<TAB>category<TAB>text"),
        ("index_id\tcategory\ttext\n1\ttravel\n", r":2: expected 3 tab-separated columns"),
        ("index_id\tcategory\ttext\n1\tcooking\tBake.\n", r":2: unknown category 'cooking'"),
    ],
)
def test_a_bad_line_names_the_member_and_line(tmp_path: Path, text: str, problem: str):
    member = "data/annotated/hau_Latn/dev.tsv"
    output = tmp_path / "xtreme"
    with pytest.raises(InputFileError) as raised:
        download(output, release(tmp_path, replace={member: text}))
    assert re.search(re.escape(f"main.zip!sib-200-main/{member}") + problem, str(raised.value))
    assert not list(output.rglob("*.tsv"))
