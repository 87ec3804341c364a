"""
Download recipes of the sentence-pair tasks (`download-xtreme --tasks xnli pawsx`), as XTREME's
`scripts/download_data.sh` lays them out: `{xnli,pawsx}/{train,dev,test}-{lang}.tsv`, each line
`sentence 1 <TAB> sentence 2 <TAB> label`, UTF-8, no header, no quoting.

* XNLI: `train-en.tsv` from XNLI-MT-1.0's `multinli/multinli.train.en.tsv` (header dropped,
  `contradictory` written as `contradiction`); `{dev,test}-{lang}.tsv` from XNLI-1.0's
  `xnli.{dev,test}.tsv` (columns `sentence1`, `sentence2`, `gold_label`, split by `language`).
* PAWS-X: `train-en.tsv` from `x-final/en/train.tsv`, `{dev,test}-{lang}.tsv` from
  `x-final/{lang}/{dev_2k,test_2k}.tsv` (columns `sentence1`, `sentence2`, `label`).

With `--translate-train`, also the releases' machine-translated training sets, for multi-source
training: `xnli/translate-train/train-{lang}.tsv` from XNLI-MT-1.0's
`multinli/multinli.train.{lang}.tsv`, `pawsx/translate-train/train-{lang}.tsv` from
`x-final/{lang}/translated_train.tsv`, for every test language but English. (XTREME's own
translations, `https://storage.googleapis.com/xtreme_translations/{XNLI,PAWSX}/translate-train/
en-{lang}-translated.tsv`, have five columns, the English pair first; the readers recognise them
too: save one as `translate-train/train-{lang}.tsv`.)
"""

import logging
from typing import Callable, Dict, Iterator, List, Tuple

from allennlp_robust_xlt.common.errors import InputFileError
from allennlp_robust_xlt.common.languages import SOURCE_LANGUAGE, is_known_language
from allennlp_robust_xlt.common.line_reading import number_raw_lines
from allennlp_robust_xlt.data.download import (
    Archive,
    DownloadWriter,
    Sources,
    default_planned_files,
    download_recipe,
)
from allennlp_robust_xlt.pair_classification.dataset_readers.pair_files import FileSource
from allennlp_robust_xlt.pair_classification.dataset_readers.pair_layouts import PairRow
from allennlp_robust_xlt.tasks import Task

logger = logging.getLogger(__name__)

Triple = Tuple[str, str, str]

PAWSX_SPLIT_FILES = {"train": "train.tsv", "dev": "dev_2k.tsv", "test": "test_2k.tsv"}


def pair_rows(archive: Archive, member: str) -> Iterator[PairRow]:
    """The pairs of an archive member, in its layout (errors name `archive!member:line`)."""
    with archive.open(member) as stream:
        source = FileSource(archive.display_name(member), lines=number_raw_lines(stream))
        for unit in source.units():
            yield source.parse(unit)


def _checker(task: Task) -> Callable[[PairRow], Triple]:
    def check(row: PairRow) -> Triple:
        label = task.canonical_label((row.label or "").strip())
        if label is None:
            raise InputFileError(
                row.path,
                row.line,
                f"unknown label {row.label!r}; expected one of {list(task.labels)}",
            )
        return row.first.strip(), row.second.strip(), label

    return check


def _translated_languages(task: Task) -> List[str]:
    return [code for code in task.languages if code != SOURCE_LANGUAGE]


def _write_translated(
    task: Task,
    writer: DownloadWriter,
    archive: Archive,
    check: Callable[[PairRow], Triple],
    member: str,
) -> None:
    """The archive's translated training sets (`member` with `{lang}`), those it has."""
    missing = []
    for language in _translated_languages(task):
        name = member.format(lang=language)
        if not archive.has(name):
            missing.append(name)
            continue
        writer.write_translated(task, language, map(check, pair_rows(archive, archive.find(name))))
    if missing:
        logger.warning("%s has no %s", archive.url, " ".join(missing))


@download_recipe("xnli", translated=_translated_languages)
def xnli(task: Task, writer: DownloadWriter, sources: Sources) -> None:
    check = _checker(task)
    with sources.archive("xnli-mt") as archive:
        member = archive.find("multinli/multinli.train.en.tsv")
        writer.write(task, "train", "en", map(check, pair_rows(archive, member)))
        if sources.translate_train:
            _write_translated(task, writer, archive, check, "multinli/multinli.train.{lang}.tsv")
    with sources.archive("xnli") as archive:
        for split in ("dev", "test"):
            by_language: Dict[str, List[Triple]] = {}
            member = archive.find(f"xnli.{split}.tsv")
            for row in pair_rows(archive, member):
                language = (row.first_language or "").strip()
                if not is_known_language(language):
                    raise InputFileError(
                        row.path, row.line, f"unknown language {row.first_language!r}"
                    )
                by_language.setdefault(language, []).append(check(row))
            missing = [code for code in task.languages if code not in by_language]
            if missing:
                logger.warning(
                    "%s has no pairs in %s", archive.display_name(member), " ".join(missing)
                )
            for language, rows in by_language.items():
                writer.write(task, split, language, rows)


@download_recipe("pawsx", translated=_translated_languages)
def pawsx(task: Task, writer: DownloadWriter, sources: Sources) -> None:
    check = _checker(task)
    with sources.archive("pawsx") as archive:
        if sources.translate_train:
            _write_translated(task, writer, archive, check, "{lang}/translated_train.tsv")
        missing = []
        for split, language in default_planned_files(task):
            member = f"{language}/{PAWSX_SPLIT_FILES[split]}"
            if language != SOURCE_LANGUAGE and not archive.has(member):
                missing.append(member)
                continue
            writer.write(
                task, split, language, map(check, pair_rows(archive, archive.find(member)))
            )
        if missing:
            logger.warning("%s has no %s", archive.url, " ".join(missing))
