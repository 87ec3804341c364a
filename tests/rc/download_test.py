"""`download-xtreme --tasks squad xquad mlqa tydiqa` on small releases made here (no network)."""

import io
import json
import tarfile
import zipfile
from pathlib import Path
from typing import Dict

import pytest

from allennlp_robust_xlt.common.errors import InputFileError, ParameterError
from allennlp_robust_xlt.rc.dataset_readers.squad_files import read_squad_file
from allennlp_robust_xlt.tasks import TASKS
from allennlp_robust_xlt.testing.cli import run_allennlp
from tests import XTREME_DATA

MLQA_V1 = XTREME_DATA / "mlqa" / "MLQA_V1"
TYDIQA_NAMES = {
    "en": "english", "ar": "arabic", "bn": "bengali", "fi": "finnish", "id": "indonesian",
    "ko": "korean", "ru": "russian", "sw": "swahili", "te": "telugu",
}  # fmt: skip


def squad_json(articles) -> str:
    return json.dumps({"version": "1.1", "data": articles}, ensure_ascii=False)


def make_releases(root: Path) -> Dict[str, Path]:
    """The releases' layouts: SQuAD's two files, one XQuAD file per language, MLQA_V1.zip,
    TyDiQA-GoldP's train file (ids `english-...`) and its dev archive."""
    releases = {
        "squad-train": XTREME_DATA / "squad" / "train-v1.1.json",
        "squad-dev": XTREME_DATA / "squad" / "dev-v1.1.json",
    }
    xquad = root / "xquad"
    xquad.mkdir()
    for code in TASKS["xquad"].languages:  # not ro: XTREME-R's, optional
        source = XTREME_DATA / "xquad" / f"xquad.{code}.json"
        if not source.is_file():
            source = XTREME_DATA / "xquad" / "xquad.en.json"
        (xquad / f"xquad.{code}.json").write_bytes(source.read_bytes())
    releases["xquad"] = xquad
    mlqa = root / "MLQA_V1.zip"
    with zipfile.ZipFile(mlqa, "w") as archive:
        for path in sorted((MLQA_V1 / "dev").glob("*.json")):
            archive.write(path, f"MLQA_V1/dev/{path.name}")
            # The release's test files have answers (XTREME strips them): dev's stand in.
            archive.write(path, f"MLQA_V1/test/{path.name.replace('dev', 'test')}")
    releases["mlqa"] = mlqa
    paragraphs = json.loads(
        (XTREME_DATA / "tydiqa" / "tydiqa-goldp-v1.1-dev" / "tydiqa.goldp.fi.dev.json").read_text()
    )["data"][0]["paragraphs"]
    train = []
    for code, name in TYDIQA_NAMES.items():
        paragraph = json.loads(json.dumps(paragraphs[0]))
        paragraph["qas"][0]["id"] = f"{name}-{len(name)}-0"
        train.append({"paragraphs": [paragraph]})
    releases["tydiqa-train"] = root / "tydiqa-goldp-v1.1-train.json"
    releases["tydiqa-train"].write_text(squad_json(train), encoding="utf-8")
    releases["tydiqa-dev"] = root / "tydiqa-goldp-v1.1-dev.tgz"
    with tarfile.open(releases["tydiqa-dev"], "w:gz") as archive:
        for code, name in TYDIQA_NAMES.items():
            data = squad_json([{"paragraphs": paragraphs}]).replace("finnish", name).encode()
            info = tarfile.TarInfo(f"tydiqa-goldp-v1.1-dev/tydiqa-goldp-dev-{name}.json")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return releases


def download(output: Path, releases: Dict[str, Path], *extra: str) -> None:
    urls = [item for source, path in releases.items() for item in (f"--{source}-url", str(path))]
    run_allennlp(
        "download-xtreme", str(output), "--tasks", "squad", "xquad", "mlqa", "tydiqa",
        "--cache-dir", str(output.parent / "cache"), *urls, *extra,
    )  # fmt: skip


def test_qa_layout_with_every_answer(tmp_path: Path, capsys: pytest.CaptureFixture):
    releases = make_releases(tmp_path)
    output = tmp_path / "xtreme"
    download(output, releases)
    assert (output / "squad" / "train-v1.1.json").read_bytes() == releases[
        "squad-train"
    ].read_bytes()
    assert (output / "squad" / "dev-v1.1.json").read_bytes() == releases["squad-dev"].read_bytes()
    for code in TASKS["xquad"].languages:
        path = output / "xquad" / f"xquad.{code}.json"
        assert path.read_bytes() == (releases["xquad"] / path.name).read_bytes()
        assert all(example.answers for example in read_squad_file(str(path)))  # not stripped
    assert not (output / "xquad" / "xquad.ro.json").exists()  # XTREME-R's, absent here
    mlqa = TASKS["mlqa"]
    for split in ("dev", "test"):
        files = sorted((output / "mlqa" / "MLQA_V1" / split).glob("*.json"))
        assert len(files) == 49
        path = mlqa.file_path(output, split, "de-zh")
        assert all(example.answers for example in read_squad_file(str(path)))
    tydiqa = TASKS["tydiqa"]
    for code, name in TYDIQA_NAMES.items():
        train = read_squad_file(str(tydiqa.file_path(output, "train", code)))
        assert [example.question_id for example in train] == [f"{name}-{len(name)}-0"]
        dev = read_squad_file(str(tydiqa.file_path(output, "test", code)))
        assert dev[0].answers and dev[0].question_id.startswith(name)
    assert not list(output.rglob("*.partial"))
    assert f"{output / 'squad' / 'dev-v1.1.json'}\t" in capsys.readouterr().out

    # Never over a file without --force, refused before any download.
    target = output / "xquad" / "xquad.de.json"
    target.write_text("mine", encoding="utf-8")
    with pytest.raises(ParameterError, match=r"'--force' is needed to overwrite .*squad"):
        download(output, releases)
    assert target.read_text(encoding="utf-8") == "mine"
    download(output, releases, "--force")
    assert target.read_bytes() == (releases["xquad"] / "xquad.de.json").read_bytes()


def test_a_release_with_a_misplaced_answer_is_refused(tmp_path: Path):
    releases = make_releases(tmp_path)
    document = json.loads(releases["squad-dev"].read_text())
    document["data"][0]["paragraphs"][0]["qas"][0]["answers"][0]["answer_start"] = 3
    releases["squad-dev"] = tmp_path / "dev-v1.1.json"
    releases["squad-dev"].write_text(json.dumps(document))
    with pytest.raises(InputFileError) as error:
        download(tmp_path / "xtreme", releases)
    assert str(error.value).startswith(
        f"{releases['squad-dev']}: question sq-d1: answer_start 3 does not point at the answer"
    )
    # All the command's files or none: the valid train file was not kept either.
    assert not list((tmp_path / "xtreme").rglob("*.json"))
    assert not list((tmp_path / "xtreme").rglob("*.partial"))


def test_default_addresses_are_xtremes():
    assert TASKS["squad"].download.sources == {
        "squad-train": "https://raw.githubusercontent.com/rajpurkar/SQuAD-explorer/master/dataset/train-v1.1.json",
        "squad-dev": "https://raw.githubusercontent.com/rajpurkar/SQuAD-explorer/master/dataset/dev-v1.1.json",
    }
    assert TASKS["xquad"].download.sources == {
        "xquad": "https://raw.githubusercontent.com/deepmind/xquad/master/xquad.{lang}.json"
    }
    assert TASKS["mlqa"].download.sources == {
        "mlqa": "https://dl.fbaipublicfiles.com/MLQA/MLQA_V1.zip"
    }
    assert TASKS["tydiqa"].download.sources == {
        "tydiqa-train": "https://storage.googleapis.com/tydiqa/v1.1/tydiqa-goldp-v1.1-train.json",
        "tydiqa-dev": "https://storage.googleapis.com/tydiqa/v1.1/tydiqa-goldp-v1.1-dev.tgz",
    }


def test_downloaded_mlqa_is_scored_in_the_generalized_setting(squad_run: Path, tmp_path: Path):
    """Issue 14's Done-when, literally: on the files `download-xtreme` writes (test files with
    their answers), `xtreme-report ARCHIVE DATA --task mlqa --generalized` writes the 7 x 7
    matrix."""
    releases = make_releases(tmp_path)
    data = tmp_path / "xtreme"
    download(data, releases)
    output = tmp_path / "report"
    run_allennlp(
        "xtreme-report", str(squad_run / "model.tar.gz"), str(data), "--task", "mlqa",
        "--generalized", "--output-dir", str(output),
    )  # fmt: skip
    rows = (output / "generalized.csv").read_text().splitlines()
    assert len(rows) == 8 and all(len(row.split(",")) == 8 for row in rows)
    assert json.loads((output / "metrics.json").read_text())["split"] == "test"
