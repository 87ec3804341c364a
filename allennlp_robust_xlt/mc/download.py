"""
Download recipes of the multiple-choice tasks (`download-xtreme --tasks xcopa siqa`), laid out as
XTREME's `scripts/download_data.sh` lays them out. JSON lines are copied line by line, each
checked by the task's reader (an error names `archive!member:line` or the address and line):

* XCOPA: `xcopa/{train,val,test}-en.jsonl` from SuperGLUE's `COPA.zip`
  (`COPA/{train,val,test}.jsonl`; its test file has no labels), and `xcopa/{val,test}-{lang}.jsonl`
  from XCOPA's `{lang}/{val,test}.{lang}.jsonl`. XTREME's `utils_preprocess.py` then sets every
  test label to 0; we keep the released labels. `--xcopa-url` is the base address of XCOPA's
  files (default: the repository's raw files, which XTREME fetches one by one), a local
  directory laid out like the repository's `data/`, or an archive of the repository (GitHub's
  `master.zip`).
* SIQA: `siqa/socialIQa_v1.4_{trn,dev,tst}.jsonl` from `socialIQa_v1.4.tgz`, as XTREME unpacks
  it. `--siqa-url` also takes AllenAI's `socialiqa-train-dev.zip` (`train.jsonl` with
  `train-labels.lst`, `dev.jsonl` with `dev-labels.lst`, labels 1 to 3): its labels become the
  `correct` letters A to C; it has no test split.
"""

import json
import logging
import os
from typing import Iterator, List, Optional, Tuple

from allennlp_robust_xlt.common.errors import InputFileError
from allennlp_robust_xlt.common.line_reading import (
    RawLine,
    decode_line,
    number_raw_lines,
    numbered_lines,
)
from allennlp_robust_xlt.common.languages import SOURCE_LANGUAGE
from allennlp_robust_xlt.data.download import (
    Archive,
    DownloadWriter,
    Sources,
    default_planned_files,
    download_recipe,
    local_archive,
    source_option,
)
from allennlp_robust_xlt.mc.dataset_readers.xtreme_multiple_choice_reader import (
    XtremeMultipleChoiceReader,
    json_record,
)
from allennlp_robust_xlt.mc.dataset_readers.xtreme_siqa import LETTERS, XtremeSiqaReader
from allennlp_robust_xlt.mc.dataset_readers.xtreme_xcopa import XtremeXcopaReader
from allennlp_robust_xlt.tasks import Task

logger = logging.getLogger(__name__)

SPLITS = ("train", "dev", "test")
# AllenAI's release of Social IQa, an alternative to the tgz that XTREME downloads.
ALLENAI_SIQA = "https://storage.googleapis.com/ai2-mosaic/public/socialiqa/socialiqa-train-dev.zip"


def checked_lines(
    reader: XtremeMultipleChoiceReader, lines: Iterator[RawLine], display: str
) -> Iterator[str]:
    """The JSON lines, each checked by the reader (an error names `display` and the line)."""
    for line, raw in lines:
        reader.arguments_from_json(json_record(raw, display, line), display, line)
        yield decode_line(raw, display, line) + "\n"


class ReleaseFiles:
    """
    The files of a release given by a base address (`{base}/{relative path}`, each fetched
    through the cache), a local directory, or an archive (members found by the end of their
    path).
    """

    def __init__(self, base: str, option: str, cache_dir: Optional[str]) -> None:
        self.base = base[len("file://") :] if base.startswith("file://") else base
        self.option = option
        self.cache_dir = cache_dir
        self.archive: Optional[Archive] = None
        if os.path.isfile(self.base):
            self.archive = Archive(self.base, option, cache_dir)

    def lines(self, relative: str) -> Optional[Tuple[str, List[RawLine]]]:
        """`(display name, numbered lines)` of a file, or None when a local release lacks it."""
        if self.archive is not None:
            if not self.archive.has(relative):
                return None
            member = self.archive.find(relative)
            with self.archive.open(member) as stream:
                return self.archive.display_name(member), list(number_raw_lines(stream))
        address = f"{self.base.rstrip('/')}/{relative}"
        if os.path.isdir(self.base):
            if not os.path.isfile(address):
                return None
            return address, list(numbered_lines(address))
        local = local_archive(address, self.option, self.cache_dir)
        return address, list(numbered_lines(local, display_path=address))

    def close(self) -> None:
        if self.archive is not None:
            self.archive.close()


RELEASE_SPLITS = {"train": "train", "dev": "val", "test": "test"}
"""COPA's and XCOPA's names of the splits in their releases (`val` for dev)."""


def xcopa_planned_files(task: Task) -> List[Tuple[str, str]]:
    """English COPA's three splits, then XCOPA's dev and test files per language."""
    return [(split, SOURCE_LANGUAGE) for split in SPLITS] + [
        (split, code) for split in ("dev", "test") for code in task.languages
    ]


@download_recipe("xcopa", planned=xcopa_planned_files)
def xcopa(task: Task, writer: DownloadWriter, sources: Sources) -> None:
    reader = XtremeXcopaReader()
    with sources.archive("copa") as archive:
        for split in SPLITS:
            member = archive.find(f"COPA/{RELEASE_SPLITS[split]}.jsonl")
            with archive.open(member) as stream:
                lines = checked_lines(
                    reader, number_raw_lines(stream), archive.display_name(member)
                )
                writer.write_lines(writer.path(task, split, SOURCE_LANGUAGE), lines)
    files = ReleaseFiles(sources.url("xcopa"), source_option("xcopa"), sources.cache_dir)
    missing = []
    try:
        for split in ("dev", "test"):
            name = RELEASE_SPLITS[split]
            for code in task.languages:
                relative = f"{code}/{name}.{code}.jsonl"
                found = files.lines(relative)
                if found is None:
                    missing.append(relative)
                    continue
                display, lines = found
                writer.write_lines(
                    writer.path(task, split, code), checked_lines(reader, iter(lines), display)
                )
    finally:
        files.close()
    if missing:
        logger.warning("%s has no %s", sources.url("xcopa"), " ".join(missing))


@download_recipe("siqa", planned=default_planned_files)
def siqa(task: Task, writer: DownloadWriter, sources: Sources) -> None:
    reader = XtremeSiqaReader()
    url = sources.url("siqa")
    try:
        archive = sources.archive("siqa")
    except InputFileError as error:
        if "://" not in url or url.startswith("file://"):
            raise
        raise InputFileError(
            error.path, None, f"{error.problem} (AllenAI's {ALLENAI_SIQA} works too)"
        ) from None
    with archive:
        if archive.has(task.file_name("train", SOURCE_LANGUAGE)):
            for split in SPLITS:
                member = archive.find(task.file_name(split, SOURCE_LANGUAGE))
                with archive.open(member) as stream:
                    lines = checked_lines(
                        reader, number_raw_lines(stream), archive.display_name(member)
                    )
                    writer.write_lines(writer.path(task, split, SOURCE_LANGUAGE), lines)
        elif archive.has("train-labels.lst"):
            for split in ("train", "dev"):
                lines = allenai_siqa_lines(reader, archive, split)
                writer.write_lines(writer.path(task, split, SOURCE_LANGUAGE), lines)
            logger.warning("%s has no test split; siqa has train and dev files only", url)
        else:
            raise InputFileError(
                url,
                None,
                f"has neither {task.file_name('train', SOURCE_LANGUAGE)} (socialIQa_v1.4.tgz)"
                " nor train.jsonl with train-labels.lst (socialiqa-train-dev.zip)",
            )


def allenai_siqa_lines(reader: XtremeSiqaReader, archive: Archive, split: str) -> Iterator[str]:
    """`{split}.jsonl` with the labels of `{split}-labels.lst` (1 to 3) as `correct` letters."""
    examples_member = archive.find(f"{split}.jsonl")
    labels_member = archive.find(f"{split}-labels.lst")
    display = archive.display_name(examples_member)
    labels_display = archive.display_name(labels_member)
    with archive.open(labels_member) as stream:
        labels = list(number_raw_lines(stream))
    with archive.open(examples_member) as stream:
        examples = list(number_raw_lines(stream))
    if len(labels) != len(examples):
        raise InputFileError(
            labels_display,
            None,
            f"has {len(labels)} labels for the {len(examples)} examples of {display}",
        )
    for (line, raw), (label_line, raw_label) in zip(examples, labels):
        record = json_record(raw, display, line)
        label = decode_line(raw_label, labels_display, label_line).strip()
        if label not in ("1", "2", "3"):
            raise InputFileError(labels_display, label_line, f"label {label!r} is not 1, 2 or 3")
        record["correct"] = LETTERS[int(label) - 1]
        reader.arguments_from_json(record, display, line)
        yield json.dumps(record, ensure_ascii=False) + "\n"
