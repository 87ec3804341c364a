"""
Download recipes of the QA tasks (`download-xtreme --tasks squad xquad mlqa tydiqa`), from the
releases XTREME's `scripts/download_data.sh` fetches, into the file names of the task table
(`squad/{train,dev}-v1.1.json`, `xquad/xquad.{lang}.json`,
`mlqa/MLQA_V1/{dev,test}/{split}-context-{c}-question-{q}.json`,
`tydiqa/tydiqa-goldp-v1.1-{train,dev}/tydiqa.goldp.{lang}.{train,dev}.json`).

Unlike XTREME, no file is stripped of its answers: XTREME's preparation
(`remove_qa_test_annotations`) blanks XQuAD, MLQA's test files and TyDiQA-GoldP's dev files
(its test set) so that only its leaderboard could score them; here every file keeps its answers
(the labels are public in the releases), so that `xtreme-report` can score them locally. Files
are copied byte for byte, after checking them with the QA readers' checks (every answer at its
`answer_start`); TyDiQA-GoldP's training file is split by language as XTREME splits it
(`tydiqa_preprocess`: a question's language is its id's prefix, `arabic-...`; one paragraph per
question), keeping whole ids where XTREME keeps only the part after the last `-`, which repeats.
"""

import json
import logging
import os
from typing import Dict, List, Tuple

from allennlp_robust_xlt.common.errors import InputFileError
from allennlp_robust_xlt.common.languages import get_language
from allennlp_robust_xlt.data.download import Archive, DownloadWriter, Sources, download_recipe
from allennlp_robust_xlt.data.download import local_archive, source_option
from allennlp_robust_xlt.rc.dataset_readers.squad_files import squad_examples
from allennlp_robust_xlt.tasks import Task

logger = logging.getLogger(__name__)

LANGUAGE_PLACEHOLDER = "{lang}"


def decoded(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise InputFileError(source, line, "invalid UTF-8") from None


def checked_squad_text(data: bytes, source: str) -> str:
    """The file's text, after the QA readers' checks (an error names the file and question)."""
    text = decoded(data, source)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputFileError(source, error.lineno, f"invalid JSON: {error.msg}") from None
    squad_examples(document, source)
    return text


def write_text(writer: DownloadWriter, task: Task, split: str, language: str, text: str) -> None:
    writer.write_lines(writer.path(task, split, language), text.splitlines(keepends=True))


def copy_file(
    writer: DownloadWriter, task: Task, split: str, language: str, local: str, shown: str
) -> None:
    with open(local, "rb") as source:
        write_text(writer, task, split, language, checked_squad_text(source.read(), shown))


def copy_member(
    writer: DownloadWriter, task: Task, split: str, language: str, archive: Archive, member: str
) -> None:
    with archive.open(member) as stream:
        text = checked_squad_text(stream.read(), archive.display_name(member))
    write_text(writer, task, split, language, text)


# -- SQuAD v1.1 ----------------------------------------------------------------------------------


def squad_planned(task: Task) -> List[Tuple[str, str]]:
    return [("train", "en"), ("dev", "en")]


@download_recipe("squad", squad_planned)
def squad(task: Task, writer: DownloadWriter, sources: Sources) -> None:
    for split in ("train", "dev"):
        source = f"squad-{split}"
        url = sources.url(source)
        local = local_archive(url, source_option(source), sources.cache_dir)
        copy_file(writer, task, split, "en", local, url)


# -- XQuAD ---------------------------------------------------------------------------------------


def xquad_planned(task: Task) -> List[Tuple[str, str]]:
    return [("test", code) for code in task.all_languages]


@download_recipe("xquad", xquad_planned)
def xquad(task: Task, writer: DownloadWriter, sources: Sources) -> None:
    """
    One file per language: the address has a `{lang}` placeholder (the official one, a mirror,
    or a local `dir/xquad.{lang}.json`), or it is a local directory or archive holding the
    `xquad.{lang}.json` files. A language of XTREME-R only (ro) may be missing.
    """
    address = sources.url("xquad")
    option = source_option("xquad")
    archive = None
    if LANGUAGE_PLACEHOLDER not in address and not os.path.isdir(address.replace("file://", "")):
        archive = sources.archive("xquad")
    try:
        for code in task.all_languages:
            name = f"xquad.{code}.json"
            optional = code not in task.languages
            if archive is not None:
                if optional and not archive.has(name):
                    logger.warning("%s has no %s", address, name)
                    continue
                copy_member(writer, task, "test", code, archive, archive.find(name))
                continue
            if LANGUAGE_PLACEHOLDER in address:
                url = address.replace(LANGUAGE_PLACEHOLDER, code)
            else:
                url = os.path.join(address, name)
            try:
                local = local_archive(url, option, sources.cache_dir)
            except InputFileError:
                if optional:
                    logger.warning("no %s at %s", name, url)
                    continue
                raise
            copy_file(writer, task, "test", code, local, url)
    finally:
        if archive is not None:
            archive.close()


# -- MLQA ----------------------------------------------------------------------------------------


def mlqa_planned(task: Task) -> List[Tuple[str, str]]:
    return [
        (split, f"{question}-{context}")
        for split in ("dev", "test")
        for context in task.languages
        for question in task.languages
    ]


@download_recipe("mlqa", mlqa_planned)
def mlqa(task: Task, writer: DownloadWriter, sources: Sources) -> None:
    """MLQA_V1.zip's 49 dev and 49 test files, with their answers."""
    with sources.archive("mlqa") as archive:
        for split, pair in mlqa_planned(task):
            member = archive.find(task.file_name(split, pair))
            copy_member(writer, task, split, pair, archive, member)


# -- TyDiQA-GoldP --------------------------------------------------------------------------------


def tydiqa_planned(task: Task) -> List[Tuple[str, str]]:
    return [(split, code) for split in ("train", "test") for code in task.languages]


def language_names(task: Task) -> Dict[str, str]:
    """TyDiQA's language names (its id prefixes and dev file names) -> codes: `arabic` -> ar."""
    names = {}
    for code in task.languages:
        language = get_language(code)
        assert language is not None
        names[language.name.lower()] = code
    return names


@download_recipe("tydiqa", tydiqa_planned)
def tydiqa(task: Task, writer: DownloadWriter, sources: Sources) -> None:
    names = language_names(task)
    url = sources.url("tydiqa-train")
    local = local_archive(url, source_option("tydiqa-train"), sources.cache_dir)
    with open(local, "rb") as source:
        document = json.loads(checked_squad_text(source.read(), url))
    by_language: Dict[str, List[dict]] = {code: [] for code in task.languages}
    for article in document["data"]:
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                prefix = qa["id"].split("-")[0]
                if prefix not in names:
                    raise InputFileError(
                        url,
                        None,
                        f"question {qa['id']}: unknown language {prefix!r} (expected one of"
                        f" {', '.join(names)})",
                    )
                by_language[names[prefix]].append(
                    {"paragraphs": [{"context": paragraph["context"], "qas": [qa]}]}
                )
    version = document.get("version", "")
    for code, data in by_language.items():
        text = json.dumps({"data": data, "version": version}, ensure_ascii=False) + "\n"
        write_text(writer, task, "train", code, text)
    with sources.archive("tydiqa-dev") as archive:
        for name, code in names.items():
            member = archive.find(f"tydiqa-goldp-dev-{name}.json")
            copy_member(writer, task, "test", code, archive, member)
