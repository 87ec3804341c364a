"""
`download-xtreme --tasks tatoeba bucc2018` (and the lareqa / mewslix recipes) on small releases
made here with the official layouts (no network); the written files are read back by the
retrieval readers and scored by `xtreme-retrieval`.
"""

import csv
import dataclasses
import io
import json
import logging
import tarfile
import zipfile
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import pytest
import requests

from allennlp_robust_xlt.common.errors import InputFileError, ParameterError
from allennlp_robust_xlt.data import download
from allennlp_robust_xlt.data.download import DOWNLOAD_RECIPES, DownloadWriter, Sources
from allennlp_robust_xlt.retrieval import download as retrieval_download
from allennlp_robust_xlt.retrieval.bucc import read_bucc_split
from allennlp_robust_xlt.retrieval.tatoeba import (
    TATOEBA_LASER_CODES,
    available_tatoeba_languages,
    read_tatoeba,
)
from allennlp_robust_xlt.tasks import TASKS, Task
from allennlp_robust_xlt.testing.cli import run_allennlp
from tests import DATA_ROOT, XTREME_DATA

UNREACHABLE = "http://127.0.0.1:9"
TATOEBA_FIXTURES = XTREME_DATA / "tatoeba"
FIXTURE_LASER = ("deu", "fra", "cmn")  # LASER-named files among the fixtures
XTREME_R_ONLY = ("az", "lt", "pl", "uk", "ro")
BUCC_ORIGINAL = DATA_ROOT / "original" / "bucc2018" / "de-en"
BUCC_RELEASES = {"dev": "sample", "test": "training"}


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Addresses fail at once, as without network (cached_path would retry for half a minute)."""
    local_input = download.local_input

    def refuse(url: str, *args, **kwargs):
        if "://" in url:
            raise requests.exceptions.ConnectionError(f"refused: {url}")
        return local_input(url, *args, **kwargs)

    monkeypatch.setattr(download, "local_input", refuse)


def tatoeba_release_files(skip: Sequence[str] = XTREME_R_ONLY) -> Dict[str, bytes]:
    """LASER's `tatoeba.{xxx}-eng.{xxx|eng}` for every table language but `skip`: the fixtures'
    de/fr/zh, made-up sentences (not in sorted order) for the others."""
    english = (TATOEBA_FIXTURES / "tatoeba.deu-eng.eng").read_bytes()
    files = {}
    for code, laser in TATOEBA_LASER_CODES.items():
        if code in skip:
            continue
        if laser in FIXTURE_LASER:
            for side in (laser, "eng"):
                name = f"tatoeba.{laser}-eng.{side}"
                files[name] = (TATOEBA_FIXTURES / name).read_bytes()
            continue
        lines = english.decode().splitlines()
        files[f"tatoeba.{laser}-eng.{laser}"] = "".join(
            f"{code}: {line[::-1]}\n" for line in lines
        ).encode()
        files[f"tatoeba.{laser}-eng.eng"] = english
    return files


def make_laser_zip(root: Path, files: Dict[str, bytes]) -> Path:
    """The LASER repository's main.zip: LASER-main/data/tatoeba/v1/..., and other files."""
    path = root / "main.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("LASER-main/README.md", "LASER")
        for name, data in files.items():
            archive.writestr(f"LASER-main/data/tatoeba/v1/{name}", data)
    return path


def bucc_release(language: str, release: str) -> Dict[str, bytes]:
    """`{lg}-en.{release}.{lg,en,gold}`: the German fixture, ids renamed for other languages."""
    files = {}
    for end in ("de", "en", "gold"):
        text = (BUCC_ORIGINAL / f"de-en.{release}.{end}").read_text(encoding="utf-8")
        text = text.replace("de-0", f"{language}-0")
        files[f"{language}-en.{release}.{language if end == 'de' else end}"] = text.encode()
    return files


def make_bucc_archives(root: Path, broken: Optional[Dict[str, bytes]] = None) -> str:
    """`bucc2018-{lg}-en.{release}-gold.tar.bz2` as released (`bucc2018/{lg}-en/...`); returns
    the address with placeholders."""
    for language in TASKS["bucc2018"].languages:
        for release in BUCC_RELEASES.values():
            path = root / f"bucc2018-{language}-en.{release}-gold.tar.bz2"
            with tarfile.open(path, "w:bz2") as archive:
                for name, data in {**bucc_release(language, release), **(broken or {})}.items():
                    if not name.startswith(f"{language}-en.{release}."):
                        continue
                    info = tarfile.TarInfo(f"bucc2018/{language}-en/{name}")
                    info.size = len(data)
                    archive.addfile(info, io.BytesIO(data))
    return f"file://{root}/bucc2018-{{lang}}-en.{{release}}-gold.tar.bz2"


def read_csv(path: Path) -> List[Dict[str, str]]:
    with open(path, encoding="utf-8") as csv_file:
        return list(csv.DictReader(csv_file))


def leftovers(root: Path) -> List[Path]:
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def run_download(output: Path, cache: Path, *extra: str) -> None:
    run_allennlp("download-xtreme", str(output), "--cache-dir", str(cache), *extra)


# -- Tatoeba -------------------------------------------------------------------------------------


def test_tatoeba_keeps_lasers_files_and_the_reader_reads_them(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    files = tatoeba_release_files()
    release = make_laser_zip(tmp_path, files)
    output = tmp_path / "xtreme"
    with caplog.at_level(logging.WARNING):
        run_download(
            output, tmp_path / "cache", "--tasks", "tatoeba", "--tatoeba-url", str(release)
        )
    tatoeba = output / "tatoeba"
    assert {path.name for path in tatoeba.iterdir()} == set(files)  # LASER's names, nothing else
    for name, data in files.items():
        assert (tatoeba / name).read_bytes() == data, name  # neither renamed nor sorted
    assert available_tatoeba_languages(tatoeba) == list(TASKS["tatoeba"].languages)
    pair = read_tatoeba(tatoeba, "de")
    assert pair.foreign_path.name == "tatoeba.deu-eng.deu" and len(pair.english) == 12
    assert pair.english == (TATOEBA_FIXTURES / "tatoeba.deu-eng.eng").read_text().splitlines()
    warned = " ".join(record.getMessage() for record in caplog.records)
    assert "tatoeba.pol-eng.pol" in warned and "tatoeba.deu" not in warned


def test_tatoeba_download_scores_as_the_fixture_files(tmp_path: Path, tiny_xlmr: Path):
    """`xtreme-retrieval` gives the same table on the downloaded files as on the originals."""
    output = tmp_path / "xtreme"
    run_download(
        output, tmp_path / "cache", "--tasks", "tatoeba",
        "--tatoeba-url", str(make_laser_zip(tmp_path, tatoeba_release_files())),
    )  # fmt: skip
    tables = []
    for name, data in (("downloaded", output), ("fixtures", XTREME_DATA)):
        run_allennlp(
            "xtreme-retrieval", str(tiny_xlmr), str(data), "--task", "tatoeba",
            "--languages", "de", "fr", "zh", "--output-dir", str(tmp_path / name),
        )  # fmt: skip
        tables.append(read_csv(tmp_path / name / "retrieval.csv"))
    assert [row["language"] for row in tables[0]] == ["de", "fr", "zh"]
    assert tables[0] == tables[1]


def test_tatoeba_from_a_directory_of_lasers_files(tmp_path: Path):
    files = tatoeba_release_files(skip=XTREME_R_ONLY[1:])  # az is there this time
    laser = tmp_path / "LASER" / "data" / "tatoeba" / "v1"
    laser.mkdir(parents=True)
    for name, data in files.items():
        (laser / name).write_bytes(data)
    output = tmp_path / "xtreme"
    run_download(output, tmp_path / "cache", "--tasks", "tatoeba", "--tatoeba-url", str(laser))
    assert (output / "tatoeba" / "tatoeba.aze-eng.aze").read_bytes() == files["tatoeba.aze-eng.aze"]
    assert len(list((output / "tatoeba").iterdir())) == len(files)


def test_unparallel_tatoeba_files_name_the_member_and_line_and_leave_nothing(tmp_path: Path):
    files = tatoeba_release_files()
    files["tatoeba.fra-eng.eng"] += b"One sentence too many.\n"
    release = make_laser_zip(tmp_path, files)
    output = tmp_path / "xtreme"
    with pytest.raises(InputFileError) as error:
        run_download(
            output, tmp_path / "cache", "--tasks", "tatoeba", "--tatoeba-url", str(release)
        )
    member = f"{release}!LASER-main/data/tatoeba/v1/tatoeba.fra-eng"
    assert str(error.value) == (
        f"{member}.eng:13: has no parallel line in {member}.fra, which ends after line 12"
        " (the files must be line-aligned translations)"
    )
    assert leftovers(output) == []  # de (written before fr) is gone too, no .partial file


def test_a_release_without_an_xtreme_language(tmp_path: Path):
    files = {n: d for n, d in tatoeba_release_files().items() if not n.startswith("tatoeba.jpn")}
    release = make_laser_zip(tmp_path, files)
    with pytest.raises(InputFileError, match=r"has no data/tatoeba/v1/tatoeba.jpn-eng.jpn and"):
        run_download(
            tmp_path / "xtreme", tmp_path / "cache", "--tasks", "tatoeba",
            "--tatoeba-url", str(release),
        )  # fmt: skip
    assert leftovers(tmp_path / "xtreme") == []


def test_unreachable_tatoeba_release_is_one_line(tmp_path: Path, no_network: None):
    url = f"{UNREACHABLE}/LASER/archive/main.zip"
    with pytest.raises(InputFileError) as error:
        run_download(
            tmp_path / "xtreme", tmp_path / "cache", "--tasks", "tatoeba", "--tatoeba-url", url
        )
    message = str(error.value)
    assert message.startswith(f"{url}: could not be reached (ConnectionError)")
    assert "--tatoeba-url" in message and "\n" not in message
    assert leftovers(tmp_path / "xtreme") == []


def test_existing_files_are_refused_before_downloading(tmp_path: Path, no_network: None):
    kept = tmp_path / "xtreme" / "tatoeba" / "tatoeba.deu-eng.eng"
    kept.parent.mkdir(parents=True)
    kept.write_text("mine\n")
    with pytest.raises(ParameterError, match="'--force' is needed to overwrite the existing file"):
        run_download(
            tmp_path / "xtreme", tmp_path / "cache", "--tasks", "tatoeba",
            "--tatoeba-url", f"{UNREACHABLE}/main.zip",  # not reached: refused before
        )  # fmt: skip
    assert kept.read_text() == "mine\n"


# -- BUCC 2018 -----------------------------------------------------------------------------------


def test_bucc_archives_in_xtremes_layout_with_the_test_gold(tmp_path: Path):
    address = make_bucc_archives(tmp_path)
    output = tmp_path / "xtreme"
    run_download(output, tmp_path / "cache", "--tasks", "bucc2018", "--bucc2018-url", address)
    bucc = output / "bucc2018"
    languages = TASKS["bucc2018"].languages
    expected = {
        f"{lg}-en.{split}.{end}": bucc_release(lg, release)[f"{lg}-en.{release}.{end}"]
        for lg in languages
        for split, release in BUCC_RELEASES.items()
        for end in (lg, "en", "gold")
    }
    assert {path.name for path in bucc.iterdir()} == set(expected)
    for name, data in expected.items():
        assert (bucc / name).read_bytes() == data, name
    for lg in languages:
        for split in ("dev", "test"):
            read = read_bucc_split(bucc, lg, split)
            assert read.source.path.name == f"{lg}-en.{split}.{lg}" and read.gold
    gold = read_bucc_split(bucc, "ru", "test").gold
    assert ("ru-000000101", "en-000000101") in gold and len(gold) == 8


def test_bucc_download_scores_as_the_original_release(tmp_path: Path, tiny_xlmr: Path):
    output = tmp_path / "xtreme"
    address = make_bucc_archives(tmp_path)
    run_download(output, tmp_path / "cache", "--tasks", "bucc2018", "--bucc2018-url", address)
    tables = []
    for name, data in (("downloaded", output), ("original", BUCC_ORIGINAL.parent)):
        run_allennlp(
            "xtreme-retrieval", str(tiny_xlmr), str(data), "--task", "bucc2018",
            "--languages", "de", "--split", "test", "--output-dir", str(tmp_path / name),
        )  # fmt: skip
        tables.append(read_csv(tmp_path / name / "retrieval.csv"))
    assert tables[0] == tables[1] and tables[0][0]["f1"] != ""  # scored: the test gold is kept


def test_bucc_from_one_directory_of_the_unpacked_release(tmp_path: Path):
    release = tmp_path / "bucc2018"
    for language in TASKS["bucc2018"].languages:
        (release / f"{language}-en").mkdir(parents=True)
        for name in BUCC_RELEASES.values():
            for file_name, data in bucc_release(language, name).items():
                (release / f"{language}-en" / file_name).write_bytes(data)
    output = tmp_path / "xtreme"
    run_download(output, tmp_path / "cache", "--tasks", "bucc2018", "--bucc2018-url", str(release))
    assert len(list((output / "bucc2018").iterdir())) == 24
    assert read_bucc_split(output / "bucc2018", "zh", "dev").gold


def test_a_gold_pair_naming_an_unknown_id_leaves_nothing(tmp_path: Path):
    """With tatoeba in the same command: neither task's files are left."""
    gold = bucc_release("ru", "sample")["ru-en.sample.gold"] + b"ru-000000001\ten-000009999\n"
    address = make_bucc_archives(tmp_path, {"ru-en.sample.gold": gold})
    output = tmp_path / "xtreme"
    with pytest.raises(InputFileError) as error:
        run_download(
            output, tmp_path / "cache", "--tasks", "tatoeba", "bucc2018",
            "--bucc2018-url", address,
            "--tatoeba-url", str(make_laser_zip(tmp_path, tatoeba_release_files())),
        )  # fmt: skip
    archive = f"file://{tmp_path}/bucc2018-ru-en.sample-gold.tar.bz2"  # as the address names it
    assert str(error.value) == (
        f"{archive}!bucc2018/ru-en/ru-en.sample.gold:7: names the id en-000009999, which is not"
        f" in {archive}!bucc2018/ru-en/ru-en.sample.en"
    )
    assert leftovers(output) == []


def test_a_bad_sentence_line(tmp_path: Path):
    address = make_bucc_archives(tmp_path, {"fr-en.training.en": b"en-1\tA sentence.\nno id\n"})
    with pytest.raises(InputFileError, match=r"fr-en.training.en:2: expected `id<TAB>sentence`"):
        run_download(
            tmp_path / "xtreme", tmp_path / "cache", "--tasks", "bucc2018",
            "--bucc2018-url", address,
        )  # fmt: skip
    assert leftovers(tmp_path / "xtreme") == []


def test_unreachable_bucc_archive_is_one_line(tmp_path: Path, no_network: None):
    address = f"{UNREACHABLE}/bucc2018-{{lang}}-en.{{release}}-gold.tar.bz2"
    with pytest.raises(InputFileError) as error:
        run_download(
            tmp_path / "xtreme", tmp_path / "cache", "--tasks", "bucc2018",
            "--bucc2018-url", address,
        )  # fmt: skip
    message = str(error.value)
    assert message.startswith(f"{UNREACHABLE}/bucc2018-de-en.sample-gold.tar.bz2: could not be")
    assert "--bucc2018-url" in message and "\n" not in message


def test_official_addresses_are_xtremes():
    """google-research/xtreme's scripts/download_data.sh (download_tatoeba, download_bucc18)."""
    assert TASKS["tatoeba"].download.sources == {
        "tatoeba": "https://github.com/facebookresearch/LASER/archive/main.zip"
    }
    assert TASKS["bucc2018"].download.sources == {
        "bucc2018": "https://comparable.limsi.fr/bucc2018/"
        "bucc2018-{lang}-en.{release}-gold.tar.bz2"
    }
    assert TASKS["tatoeba"].download.by_default and not TASKS["bucc2018"].download.by_default


# -- LAReQA and Mewsli-X --------------------------------------------------------------------------


def retrieval_rows(tmp_path: Path) -> Dict[str, Task]:
    """The task table's LAReQA and Mewsli-X rows."""
    return {"lareqa": TASKS["lareqa"], "mewslix": TASKS["mewslix"]}


def run_recipe(recipe, task: Task, output: Path, urls: Dict[str, str]) -> Dict[Path, int]:
    """What `download_xtreme` does with one recipe: run, then commit or roll back."""
    writer = DownloadWriter(output, force=False)
    try:
        recipe(task, writer, Sources(urls, str(output.parent / "cache")))
        writer.commit()
    except BaseException:
        writer.rollback()
        raise
    return writer.written


def xquad_r(language: str, breaks=None) -> bytes:
    context = f"First sentence in {language}. Second one."
    paragraph = {
        "context": context,
        "qas": [{"id": "q1", "question": "Which?",
                 "answers": [{"text": "Second", "answer_start": 20 + len(language)}]}],
        "sentence_breaks": breaks or [[0, 19 + len(language)], [20 + len(language), len(context)]],
    }  # fmt: skip
    return json.dumps({"data": [{"paragraphs": [paragraph]}]}, ensure_ascii=False).encode()


def make_lareqa_zip(
    root: Path, languages: Sequence[str], broken: Optional[Dict[str, bytes]] = None
) -> Path:
    path = root / "master.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("lareqa-master/README.md", "LAReQA")
        archive.writestr("lareqa-master/mlqa-r/en.json", xquad_r("en"))
        for code in languages:
            name = f"xquad-r/{code}.json"
            archive.writestr(f"lareqa-master/{name}", (broken or {}).get(name, xquad_r(code)))
    return path


def test_lareqa_writes_xquad_r_as_xtreme(tmp_path: Path):
    task = retrieval_rows(tmp_path)["lareqa"]
    release = make_lareqa_zip(tmp_path, task.languages)
    output = tmp_path / "xtreme"
    run_recipe(retrieval_download.lareqa, task, output, {"lareqa": str(release)})
    written = output / "lareqa" / "xquad-r"
    assert {path.name for path in written.iterdir()} == {f"{c}.json" for c in task.languages}
    for code in task.languages:
        assert (written / f"{code}.json").read_bytes() == xquad_r(code)
    assert not (output / "lareqa" / "mlqa-r").exists()
    assert retrieval_download.lareqa_planned(task)[0] == ("test", task.languages[0])


def test_lareqa_bad_sentence_breaks_leave_nothing(tmp_path: Path):
    task = retrieval_rows(tmp_path)["lareqa"]
    broken = {"xquad-r/th.json": xquad_r("th", breaks=[[0, 99]])}
    release = make_lareqa_zip(tmp_path, task.languages, broken)
    output = tmp_path / "xtreme"
    with pytest.raises(InputFileError) as error:
        run_recipe(retrieval_download.lareqa, task, output, {"lareqa": str(release)})
    assert str(error.value) == (
        f"{release}!lareqa-master/xquad-r/th.json: article 0, paragraph 0: sentence break"
        " [0, 99] is not [start, end] within the context's 33 characters"
    )
    assert leftovers(output) == []


def test_lareqa_a_question_without_answers(tmp_path: Path):
    task = retrieval_rows(tmp_path)["lareqa"]
    document = json.loads(xquad_r("vi"))
    del document["data"][0]["paragraphs"][0]["qas"][0]["answers"]
    broken = {"xquad-r/vi.json": json.dumps(document).encode()}
    release = make_lareqa_zip(tmp_path, task.languages, broken)
    with pytest.raises(InputFileError) as error:
        run_recipe(retrieval_download.lareqa, task, tmp_path / "xtreme", {"lareqa": str(release)})
    assert str(error.value) == (
        f"{release}!lareqa-master/xquad-r/vi.json: question q1 (article 0, paragraph 0) has no"
        " answers"
    )
    assert leftovers(tmp_path / "xtreme") == []


def test_lareqa_unreachable_is_one_line(tmp_path: Path, no_network: None):
    task = retrieval_rows(tmp_path)["lareqa"]
    url = f"{UNREACHABLE}/lareqa/archive/master.zip"
    with pytest.raises(InputFileError) as error:
        run_recipe(retrieval_download.lareqa, task, tmp_path / "xtreme", {"lareqa": url})
    assert str(error.value).startswith(f"{url}: could not be reached")
    assert "--lareqa-url" in str(error.value) and "\n" not in str(error.value)


MEWSLIX_LANGUAGES = ("de", "en", "ja")


def mention_article(language: str, number: int, text: str = "Ein Text.") -> dict:
    return {
        "context": {"document_id": f"{language}-{number}", "language": language, "text": text,
                    "sentence_spans": [{"start": 0, "end": len(text)}]},
        "mentions": [{"example_id": f"{language}-{number}-{i}", "entity_id": f"Q{number}{i}",
                      "mention_span": {"start": 0, "end": 3, "text": text[:3]}} for i in range(2)],
    }  # fmt: skip


def make_mewsli_dataset(root: Path, **replaced: str) -> Path:
    """get-mewsli-x.sh's `mewsli_x/output/dataset/`, tiny."""
    dataset = root / "mewsli_x" / "output" / "dataset"
    dataset.mkdir(parents=True)
    files = {
        "candidate_set_entities.jsonl": "".join(
            json.dumps({"entity_id": f"Q{i}", "title": "T", "description": "D."}) + "\n"
            for i in range(3)
        ),
        "wikipedia_pairs-train.jsonl": json.dumps(
            {"contextual_mention": {"context": {}, "mention": {}}, "entity": {}}
        )
        + "\n",
        "wikipedia_pairs-dev.jsonl": json.dumps(
            {"contextual_mention": {"context": {}, "mention": {}}, "entity": {}}
        )
        + "\n",
    }
    for split, offset in (("dev", 1), ("test", 5)):
        lines = [
            json.dumps(mention_article(code, offset + k), ensure_ascii=False) + "\n"
            for k in range(2)
            for code in MEWSLIX_LANGUAGES
        ]
        files[f"wikinews_mentions-{split}.jsonl"] = "".join(lines)
        files[f"wikinews_mentions_no_text-{split}.jsonl"] = "".join(lines)
    files.update(replaced)
    for name, text in files.items():
        (dataset / name).write_text(text, encoding="utf-8")
    return dataset


def mewslix_task(tmp_path: Path) -> Task:
    task = retrieval_rows(tmp_path)["mewslix"]
    return dataclasses.replace(
        task, languages=MEWSLIX_LANGUAGES, xtreme_r_languages=MEWSLIX_LANGUAGES
    )


def test_mewslix_from_the_built_dataset_in_xtremes_layout(tmp_path: Path):
    dataset = make_mewsli_dataset(tmp_path)
    output = tmp_path / "xtreme"
    run_recipe(
        retrieval_download.mewslix, mewslix_task(tmp_path), output, {"mewslix": str(dataset)}
    )
    mewslix = output / "mewslix"
    for name in ("candidate_set_entities.jsonl", "wikipedia_pairs-train.jsonl"):
        assert (mewslix / name).read_bytes() == (dataset / name).read_bytes()
    for split in ("dev", "test"):
        released = (dataset / f"wikinews_mentions-{split}.jsonl").read_text().splitlines()
        for code in MEWSLIX_LANGUAGES:
            lines = (mewslix / "wikinews_mentions" / f"{split}-{code}.jsonl").read_text()
            articles = [json.loads(line) for line in lines.splitlines()]
            assert lines.splitlines() == [
                line for line in released if json.loads(line)["context"]["language"] == code
            ]
            labels = json.loads((mewslix / "wikinews_labels" / f"{split}-{code}.json").read_text())
            assert labels == {
                m["example_id"]: [m["entity_id"]] for a in articles for m in a["mentions"]
            }
            assert all(value[0] for value in labels.values())  # test labels kept
    assert len(leftovers(mewslix)) == 3 + 2 * 2 * len(MEWSLIX_LANGUAGES)


def test_mewslix_without_the_restored_text_says_what_to_run(tmp_path: Path):
    dataset = make_mewsli_dataset(tmp_path)
    (dataset / "wikinews_mentions-dev.jsonl").unlink()
    (dataset / "wikinews_mentions-test.jsonl").unlink()
    with pytest.raises(InputFileError, match="has no wikinews_mentions-dev.jsonl: pass the output"):
        run_recipe(
            retrieval_download.mewslix, mewslix_task(tmp_path), tmp_path / "out",
            {"mewslix": str(dataset)},
        )  # fmt: skip
    blank = json.dumps(mention_article("de", 1, text=""))
    dataset = make_mewsli_dataset(tmp_path / "2", **{"wikinews_mentions-test.jsonl": blank})
    with pytest.raises(InputFileError, match=r"test.jsonl:1: has no article text"):
        run_recipe(
            retrieval_download.mewslix, mewslix_task(tmp_path), tmp_path / "out",
            {"mewslix": str(dataset)},
        )  # fmt: skip
    assert leftovers(tmp_path / "out") == []


def test_mewslix_a_line_missing_a_field(tmp_path: Path):
    pairs = json.dumps({"contextual_mention": {"context": {}}, "entity": {}}) + "\n"
    dataset = make_mewsli_dataset(tmp_path, **{"wikipedia_pairs-dev.jsonl": "\n" + pairs})
    with pytest.raises(InputFileError) as error:
        run_recipe(
            retrieval_download.mewslix, mewslix_task(tmp_path), tmp_path / "out",
            {"mewslix": str(dataset)},
        )  # fmt: skip
    assert str(error.value) == (
        f"{dataset}/wikipedia_pairs-dev.jsonl:2: has no field `contextual_mention.mention`"
    )
    assert leftovers(tmp_path / "out") == []


def test_mewslix_needs_the_users_copy(tmp_path: Path):
    with pytest.raises(ParameterError) as error:
        run_recipe(
            retrieval_download.mewslix, mewslix_task(tmp_path), tmp_path / "out", {"mewslix": ""}
        )
    assert "--mewslix-url" in str(error.value) and "get-mewsli-x.sh" in str(error.value)


def test_lareqa_and_mewslix_download_through_the_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """The recipes registered from the table, `--lareqa-url` and `--mewslix-url` generated, the
    manual source's message, both tasks written by one command."""
    assert {"lareqa", "mewslix"} <= set(DOWNLOAD_RECIPES)
    tasks = retrieval_rows(tmp_path)
    monkeypatch.setitem(TASKS, "mewslix", mewslix_task(tmp_path))
    output = tmp_path / "xtreme"
    release = make_lareqa_zip(tmp_path, tasks["lareqa"].languages)
    with pytest.raises(ParameterError) as error:
        run_download(output, tmp_path / "cache", "--tasks", "lareqa", "mewslix")
    message = str(error.value)
    assert message.startswith(
        "download-xtreme: parameter '--mewslix-url' must name your copy of the Mewsli-X release"
        " (a local archive, a file:// URL or a mirror): no download holds its WikiNews article"
    )
    assert "&& bash get-mewsli-x.sh" in message and "mewsli_x/output/dataset" in message
    assert "\n" not in message
    dataset = make_mewsli_dataset(tmp_path)
    run_download(
        output, tmp_path / "cache", "--tasks", "lareqa", "mewslix",
        "--lareqa-url", str(release), "--mewslix-url", str(dataset),
    )  # fmt: skip
    assert (output / "lareqa" / "xquad-r" / "zh.json").read_bytes() == xquad_r("zh")
    assert (output / "mewslix" / "wikinews_labels" / "test-ja.json").is_file()
