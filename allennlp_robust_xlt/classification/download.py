"""
The download recipe of SIB-200 (`download-xtreme --tasks sib200`): the release is the GitHub
repository dadelani/sib-200, whose archive (`--sib200-url`: the official address, a mirror, or a
local copy of the zip) holds `data/annotated/{lang}/{train,dev,test}.tsv` for each of the 205
languages. Each file is checked (header, columns, labels: one line naming the archive member and
line) and written unchanged to `sib200/{lang}/{split}.tsv`. A language of the task table without
its three files in the archive is an error naming the missing member.
"""

from typing import List, Tuple

from allennlp_robust_xlt.classification.dataset_readers.text_files import text_rows
from allennlp_robust_xlt.common.errors import InputFileError
from allennlp_robust_xlt.common.line_reading import number_raw_lines
from allennlp_robust_xlt.data.download import Archive, DownloadWriter, Sources, download_recipe
from allennlp_robust_xlt.tasks import SPLITS, Task

RELEASE_DIRECTORY = "data/annotated"


def planned_files(task: Task) -> List[Tuple[str, str]]:
    """Train, dev and test for every language (SIB-200 has all three in each)."""
    return [(split, code) for code in task.languages for split in SPLITS]


def checked_lines(task: Task, archive: Archive, member: str) -> List[str]:
    """The member's lines (checked) as they are, each ending in a newline."""
    shown = archive.display_name(member)
    with archive.open(member) as stream:
        lines = list(number_raw_lines(stream, skip_blank=False))
    for row in text_rows(lines, shown):
        if row.label is None:
            raise InputFileError(shown, row.line, "has no category column (a released file has)")
        if task.canonical_label(row.label.strip()) is None:
            raise InputFileError(
                shown,
                row.line,
                f"unknown category {row.label!r}; expected one of {', '.join(task.labels)}",
            )
    return [raw.decode("utf-8") + "\n" for _, raw in lines if raw.strip()]


@download_recipe("sib200", planned=planned_files)
def sib200(task: Task, writer: DownloadWriter, sources: Sources) -> None:
    with sources.archive("sib200") as archive:
        for split, language in planned_files(task):
            member = archive.find(f"{RELEASE_DIRECTORY}/{language}/{split}.tsv")
            writer.write_lines(
                writer.path(task, split, language), checked_lines(task, archive, member)
            )
