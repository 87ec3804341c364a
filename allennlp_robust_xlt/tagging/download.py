"""
Download recipes of the tagging tasks (`download-xtreme --tasks udpos panx`), as XTREME's
`scripts/download_data.sh` and `utils_preprocess.py` lay them out: `{udpos,panx}/{split}-{lang}.tsv`,
one `word<TAB>tag` per line, a blank line between sentences, no blank line at the end. Unlike
XTREME's files, the test files keep their tags (as `download-xtreme` does for every task), so
that test sets can be scored locally; their words are XTREME's.

* UD-POS (`udpos`): every `{lang}_{treebank}-ud-{split}.conllu` of UD v2.5 (`--ud-v2.5-url`) for
  XTREME's languages and of UD v2.7 (`--ud-v2.7-url`) for the languages XTREME-R adds, converted
  as XTREME converts them (`tagging/tools/ud_conversion.py`), the treebanks of a language and
  split concatenated in the order of their file names. A treebank file on which XTREME's
  conversion script fails is left out, as XTREME's data lack it (a warning names it).
* PAN-X (`panx`): from the user's copy of the release (`--panx-url`; its official address is
  gone, see the task table), an archive holding `{lang}.tar.gz` per language with `train`, `dev`
  and `test` (AmazonPhotos.zip, or panx_dataset.tar). Each line is converted as
  `panx_preprocess` converts it: the line stripped, a `lang:token<TAB>TAG` line becomes
  `token<TAB>TAG` (token and tag stripped), a line without a `:` in its first column is dropped,
  and any line without exactly two columns becomes a sentence break; a final blank line is
  dropped. Lines dropped or turned into breaks are counted in a warning.

* MasakhaNER 2.0 (`masakhaner`): the GitHub archive of masakhane-io/masakhane-ner
  (`--masakhaner-url`: the official address, a mirror or a local copy), whose
  `MasakhaNER2.0/data/{lang}/{dev,test}.txt` are checked (two space-separated fields per line,
  the tags BIO over PER, ORG, LOC and DATE: one line naming the member and line otherwise) and
  written unchanged to `masakhaner/{lang}/{dev,test}.txt` (DATE included: the reader reads it as
  O). A listed language without its file in the archive is an error naming the member. The
  training files are not written: the task is zero-shot from PAN-X English.

Everything is converted into a scratch directory first; the files are written (atomically, never
over an existing file without `--force`) only once every member has been read, so a bad line
stops the command with nothing written.
"""

import logging
import re
import shutil
import tarfile
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import IO, Dict, Iterable, Iterator, List, Tuple

from allennlp_robust_xlt.common.errors import InputFileError
from allennlp_robust_xlt.common.line_reading import RawLine, decode_line, number_raw_lines
from allennlp_robust_xlt.common.languages import SOURCE_LANGUAGE
from allennlp_robust_xlt.data.download import Archive, DownloadWriter, Sources, download_recipe
from allennlp_robust_xlt.tagging.dataset_readers.tagged_files import sentence_blocks
from allennlp_robust_xlt.tagging.tools.ud_conversion import ConversionFailure, convert_sentence
from allennlp_robust_xlt.tasks import Task

logger = logging.getLogger(__name__)

UD_MEMBER = re.compile(r"^(?P<lang>[^_/]+)_[^/]*-ud-(?P<split>train|dev|test)\.conllu$")
PANX_SPLITS = ("train", "dev", "test")

Key = Tuple[str, str]  # (split, language)


class StagedFiles:
    """Converted text kept in a scratch directory beside the output until everything is read."""

    def __init__(self, writer: DownloadWriter) -> None:
        self.writer = writer
        writer.output.mkdir(parents=True, exist_ok=True)
        self.directory = Path(tempfile.mkdtemp(prefix=".download-", dir=writer.output))
        self.parts: Dict[Key, List[Tuple[str, Path]]] = defaultdict(list)
        self._count = 0

    def part(self, key: Key, order: str) -> Path:
        """A new scratch file for `key`; a key's parts are joined in the order of `order`."""
        self._count += 1
        path = self.directory / f"{self._count}.part"
        self.parts[key].append((order, path))
        return path

    def drop(self, key: Key, path: Path) -> None:
        self.parts[key] = [(order, part) for order, part in self.parts[key] if part != path]
        path.unlink(missing_ok=True)

    def write_all(self, task: Task) -> None:
        """
        Writes every key's file: its non-empty parts, in order, a blank line between two parts
        (no file for a key without sentences, as XTREME writes none).
        """
        files = {
            key: [path for _, path in sorted(parts) if path.stat().st_size > 0]
            for key, parts in sorted(self.parts.items())
        }
        files = {key: paths for key, paths in files.items() if paths}
        self.writer.check_free([self.writer.path(task, split, code) for split, code in files])
        for (split, code), paths in files.items():
            self.writer.write_lines(self.writer.path(task, split, code), _joined_lines(paths))

    def close(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


def _joined_lines(paths: Iterable[Path]) -> Iterator[str]:
    """The sentences of the parts (each part: sentences separated by one blank line)."""
    for number, path in enumerate(paths):
        if number:
            yield "\n"
        with open(path, encoding="utf-8", newline="\n") as part:
            yield from part


def _sentence_text(words: List[str], tags: List[str]) -> str:
    return "".join(f"{word}\t{tag}\n" for word, tag in zip(words, tags))


# -- UD-POS ------------------------------------------------------------------------------------


def convert_treebank(archive: Archive, member: str, language: str, output: IO[str]) -> int:
    """Converts one CoNLL-U member into `output`; returns its number of sentences."""
    shown = archive.display_name(member)
    count = 0
    with archive.open(member) as stream:
        for block in sentence_blocks(number_raw_lines(stream, skip_blank=False)):
            lines = [(line, decode_line(raw, shown, line)) for line, raw in block]
            sentence = convert_sentence(lines, shown, language)
            if sentence is None:
                continue
            if count:
                output.write("\n")
            output.write(_sentence_text(sentence.words, sentence.tags))
            count += 1
    return count


@download_recipe("udpos")
def udpos(task: Task, writer: DownloadWriter, sources: Sources) -> None:
    added = [code for code in task.xtreme_r_languages if code not in task.languages]
    releases = [("ud-v2.5", list(task.languages)), ("ud-v2.7", added)]
    staged = StagedFiles(writer)
    try:
        for source, languages in releases:
            with sources.archive(source) as archive:
                found = set()
                for member in archive.names:
                    match = UD_MEMBER.match(Path(member).name)
                    if not match or match.group("lang") not in languages:
                        continue
                    language, split = match.group("lang"), match.group("split")
                    key = (split, language)
                    part = staged.part(key, Path(member).name)
                    try:
                        with open(part, "w", encoding="utf-8", newline="\n") as output:
                            convert_treebank(archive, member, language, output)
                    except ConversionFailure as failure:
                        staged.drop(key, part)
                        logger.warning("left out, as in XTREME's data: %s", failure)
                        continue
                    found.add(language)
                missing = [code for code in languages if code not in found]
                if missing:
                    logger.warning("%s has no treebank of %s", archive.url, " ".join(missing))
        staged.write_all(task)
    finally:
        staged.close()


# -- PAN-X -------------------------------------------------------------------------------------


def panx_lines(lines: List[RawLine], shown: str, counts: Dict[str, int]) -> Iterator[str]:
    """XTREME's `panx_preprocess` of one release file, line by line (tags kept on test files)."""
    texts = [(line, decode_line(raw, shown, line)) for line, raw in lines]
    if texts and not texts[-1][1].strip():
        texts = texts[:-1]
    for _, text in texts:
        columns = text.strip().split("\t")
        if len(columns) != 2:
            counts["broken"] += bool(text.strip())
            yield "\n"
            continue
        colon = columns[0].find(":")
        if colon == -1:
            counts["dropped"] += 1
            continue
        yield f"{columns[0][colon + 1:].strip()}\t{columns[1].strip()}\n"


def _panx_release_files(archive: Archive, member: str) -> Iterator[Tuple[str, List[RawLine]]]:
    """`(split, lines)` of a language's `{lang}.tar.gz` inside the release archive."""
    with archive.open(member) as stream:
        try:
            with tarfile.open(fileobj=stream, mode="r|gz") as inner:
                for entry in inner:
                    name = Path(entry.name).name
                    if entry.isfile() and name in PANX_SPLITS:
                        handle = inner.extractfile(entry)
                        assert handle is not None
                        yield name, list(number_raw_lines(handle, skip_blank=False))
        except tarfile.TarError as error:
            raise InputFileError(
                archive.display_name(member), None, f"is not a tar.gz archive ({error})"
            ) from None


@download_recipe("panx")
def panx(task: Task, writer: DownloadWriter, sources: Sources) -> None:
    staged = StagedFiles(writer)
    counts: Dict[str, int] = defaultdict(int)
    try:
        with sources.archive("panx") as archive:
            missing = []
            for language in task.all_languages:
                member_name = f"{language}.tar.gz"
                if not archive.has(member_name):
                    if language == SOURCE_LANGUAGE:
                        archive.find(member_name)  # the error naming the archive and member
                    missing.append(member_name)
                    continue
                member = archive.find(member_name)
                for split, lines in _panx_release_files(archive, member):
                    shown = f"{archive.display_name(member)}!{split}"
                    part = staged.part((split, language), split)
                    with open(part, "w", encoding="utf-8", newline="\n") as output:
                        output.writelines(panx_lines(lines, shown, counts))
            if missing:
                logger.warning("%s has no %s", archive.url, " ".join(missing))
        if counts["dropped"] or counts["broken"]:
            logger.warning(
                "PAN-X: as XTREME's panx_preprocess, %d line(s) without lang: were dropped and %d"
                " line(s) without two columns became sentence breaks",
                counts["dropped"],
                counts["broken"],
            )
        staged.write_all(task)
    finally:
        staged.close()


MASAKHANER_DIRECTORY = "MasakhaNER2.0/data"


def masakhaner_lines(task: Task, lines: List[RawLine], shown: str) -> List[str]:
    """The lines of a MasakhaNER file, unchanged, once each is checked."""
    texts = []
    for number, raw in lines:
        text = decode_line(raw, shown, number)
        if text.strip():
            fields = text.split()
            if len(fields) != 2:
                raise InputFileError(
                    shown, number, f"expected `word TAG` (2 space-separated fields), found {text!r}"
                )
            if task.canonical_label(fields[1]) is None:
                raise InputFileError(
                    shown,
                    number,
                    f"unknown tag {fields[1]!r}; expected O or B-/I- PER, ORG, LOC, DATE",
                )
        texts.append(text + "\n")
    while texts and not texts[-1].strip():
        texts.pop()
    return texts


@download_recipe("masakhaner")
def masakhaner(task: Task, writer: DownloadWriter, sources: Sources) -> None:
    with sources.archive("masakhaner") as archive:
        staged = []
        for split in ("dev", "test"):
            for language in task.languages:
                member = archive.find(f"{MASAKHANER_DIRECTORY}/{language}/{split}.txt")
                with archive.open(member) as stream:
                    lines = list(number_raw_lines(stream, skip_blank=False))
                shown = archive.display_name(member)
                staged.append((split, language, masakhaner_lines(task, lines, shown)))
        for split, language, texts in staged:
            writer.write_lines(writer.path(task, split, language), texts)
