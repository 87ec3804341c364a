"""
`allennlp download-xtreme`: fetch XNLI and PAWS-X from their official release addresses and lay
them out as XTREME's `scripts/download_data.sh` does.
"""

import argparse
import logging
import os
import tarfile
import zipfile
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

from allennlp.commands.subcommand import Subcommand

from allennlp_robust_xlt.common.errors import InputFileError, ParameterError
from allennlp_robust_xlt.common.files import local_input
from allennlp_robust_xlt.common.languages import SOURCE_LANGUAGE, TASK_LANGUAGES, is_known_language
from allennlp_robust_xlt.common.line_reading import number_raw_lines
from allennlp_robust_xlt.pair_classification.dataset_readers.pair_files import FileSource, PairRow

logger = logging.getLogger(__name__)

XNLI_URL = "https://dl.fbaipublicfiles.com/XNLI/XNLI-1.0.zip"
XNLI_MT_URL = "https://dl.fbaipublicfiles.com/XNLI/XNLI-MT-1.0.zip"
PAWSX_URL = "https://storage.googleapis.com/paws/pawsx/x-final.tar.gz"

XNLI_LABELS = ("entailment", "neutral", "contradiction")
XNLI_LABEL_ALIASES = {"contradictory": "contradiction"}
PAWSX_LABELS = ("0", "1")
PAWSX_SPLIT_FILES = {"train": "train.tsv", "dev": "dev_2k.tsv", "test": "test_2k.tsv"}
TASKS = ("xnli", "pawsx")


@Subcommand.register("download-xtreme")
class DownloadXtreme(Subcommand):
    """
    Registered as a `Subcommand` with name "download-xtreme".

    `allennlp download-xtreme [OUTPUT_DIR] [--tasks xnli pawsx] [--force] [--cache-dir DIR]
    [--xnli-url URL] [--xnli-mt-url URL] [--pawsx-url URL]` downloads (through AllenNLP's
    `cached_path`, so a second run reuses the cache) and writes, under OUTPUT_DIR (default
    `$XLT_DATA_DIR`, else `data/xtreme`):

    * `xnli/train-en.tsv` from XNLI-MT-1.0's `multinli/multinli.train.en.tsv` (header dropped,
      `contradictory` written as `contradiction`);
    * `xnli/{dev,test}-{lang}.tsv` from XNLI-1.0's `xnli.{dev,test}.tsv` (columns `sentence1`,
      `sentence2`, `gold_label`, split by the `language` column);
    * `pawsx/train-en.tsv` from PAWS-X's `x-final/en/train.tsv`, and `pawsx/{dev,test}-{lang}.tsv`
      from `x-final/{lang}/{dev_2k,test_2k}.tsv` (columns `sentence1`, `sentence2`, `label`).

    Every file is `sentence 1 <TAB> sentence 2 <TAB> label`, UTF-8, without header or quoting.
    Existing files are never overwritten unless `--force` is given. The `--*-url` options take
    another address, a local archive path or a `file://` URL (a mirror, or a copy made earlier).
    """

    requires_plugins = True

    def add_subparser(self, parser: argparse._SubParsersAction) -> argparse.ArgumentParser:
        description = (
            "Download XNLI and PAWS-X and write them in XTREME's layout"
            " ({task}/{split}-{lang}.tsv)."
        )
        subparser = parser.add_parser(self.name, description=description, help=description)
        subparser.add_argument(
            "output_dir",
            nargs="?",
            default=os.environ.get("XLT_DATA_DIR") or "data/xtreme",
            help="directory to write xnli/ and pawsx/ into (the default is $XLT_DATA_DIR when set)",
        )
        subparser.add_argument(
            "--tasks", nargs="+", choices=TASKS, default=list(TASKS), help="which data sets"
        )
        subparser.add_argument("--force", action="store_true", help="overwrite existing files")
        subparser.add_argument(
            "--cache-dir", default=None, help="download cache (default: AllenNLP's cache)"
        )
        subparser.add_argument(
            "--xnli-url", default=XNLI_URL, help="XNLI-1.0.zip (address, path or file:// URL)"
        )
        subparser.add_argument(
            "--xnli-mt-url",
            default=XNLI_MT_URL,
            help="XNLI-MT-1.0.zip (address, path or file:// URL)",
        )
        subparser.add_argument(
            "--pawsx-url",
            default=PAWSX_URL,
            help="PAWS-X x-final.tar.gz (address, path or file:// URL)",
        )
        subparser.set_defaults(func=download_from_args)
        return subparser


def download_from_args(args: argparse.Namespace) -> Dict[str, int]:
    written = download_xtreme(
        args.output_dir,
        tasks=args.tasks,
        force=args.force,
        cache_dir=args.cache_dir,
        xnli_url=args.xnli_url,
        xnli_mt_url=args.xnli_mt_url,
        pawsx_url=args.pawsx_url,
    )
    for path, count in written.items():
        print(f"{path}\t{count} pairs")
    return written


def download_xtreme(
    output_dir: str,
    tasks: Sequence[str] = TASKS,
    force: bool = False,
    cache_dir: Optional[str] = None,
    xnli_url: str = XNLI_URL,
    xnli_mt_url: str = XNLI_MT_URL,
    pawsx_url: str = PAWSX_URL,
) -> Dict[str, int]:
    """Downloads and writes the tasks' files; returns `{written path: number of pairs}`."""
    for task in tasks:
        if task not in TASKS:
            raise ParameterError(
                "download-xtreme",
                "--tasks",
                f"has the unknown task {task!r}; known: {' '.join(TASKS)}",
            )
    output = Path(output_dir)
    writer = _Writer(output, force)
    # Refuse before any download if a file we are going to write exists.
    planned = [
        output / task / f"{split}-{lang}.tsv"
        for task in tasks
        for split, lang in _planned_files(task)
    ]
    writer.check_free(planned)
    if "xnli" in tasks:
        _xnli(writer, xnli_url, xnli_mt_url, cache_dir)
    if "pawsx" in tasks:
        _pawsx(writer, pawsx_url, cache_dir)
    return {str(path): count for path, count in writer.written.items()}


def _planned_files(task: str) -> List[Tuple[str, str]]:
    return [("train", "en")] + [
        (split, lang) for split in ("dev", "test") for lang in TASK_LANGUAGES[task]
    ]


class _Writer:
    """Writes XTREME's files atomically, never over an existing one unless `force`."""

    def __init__(self, output: Path, force: bool) -> None:
        self.output = output
        self.force = force
        self.written: Dict[Path, int] = {}

    def check_free(self, paths: Sequence[Path]) -> None:
        existing = [str(path) for path in paths if path.exists()]
        if existing and not self.force:
            shown = ", ".join(existing[:5]) + (
                f" and {len(existing) - 5} more" if len(existing) > 5 else ""
            )
            raise ParameterError(
                "download-xtreme", "--force", f"is needed to overwrite the existing file(s) {shown}"
            )

    def write(self, task: str, split: str, lang: str, rows: Iterable[Tuple[str, str, str]]) -> None:
        path = self.output / task / f"{split}-{lang}.tsv"
        self.check_free([path])
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        count = 0
        try:
            with open(partial, "w", encoding="utf-8", newline="\n") as out:
                for first, second, label in rows:
                    out.write(f"{first}\t{second}\t{label}\n")
                    count += 1
            os.replace(partial, path)
        finally:
            if partial.exists():
                partial.unlink()
        self.written[path] = count
        logger.info("wrote %s (%d pairs)", path, count)


def _local_archive(url: str, cache_dir: Optional[str]) -> str:
    """The local path of the archive at `url` (downloaded once into the cache)."""
    if url.startswith("file://"):
        url = url[len("file://") :]
    return local_input(url, missing="archive not found", cache_dir=cache_dir)


class _Archive:
    """Members of a zip or tar(.gz) archive, found by the end of their path."""

    def __init__(self, url: str, cache_dir: Optional[str]) -> None:
        self.url = url
        self.path = _local_archive(url, cache_dir)
        if zipfile.is_zipfile(self.path):
            self._zip: Optional[zipfile.ZipFile] = zipfile.ZipFile(self.path)
            names = self._zip.namelist()
            self._tar: Optional[tarfile.TarFile] = None
        elif tarfile.is_tarfile(self.path):
            self._zip = None
            self._tar = tarfile.open(self.path)
            names = [member.name for member in self._tar.getmembers() if member.isfile()]
        else:
            raise InputFileError(url, None, "is neither a zip nor a tar archive")
        self.names = [
            name
            for name in names
            if "__MACOSX" not in name and not Path(name).name.startswith("._")
        ]

    def has(self, suffix: str) -> bool:
        return any(name == suffix or name.endswith("/" + suffix) for name in self.names)

    def find(self, suffix: str) -> str:
        matches = [name for name in self.names if name == suffix or name.endswith("/" + suffix)]
        if not matches:
            raise InputFileError(self.url, None, f"the archive has no member {suffix}")
        return min(matches, key=len)

    @contextmanager
    def open(self, name: str) -> Iterator[IO[bytes]]:
        if self._zip is not None:
            member: Optional[IO[bytes]] = self._zip.open(name)
        else:
            assert self._tar is not None
            member = self._tar.extractfile(name)
        assert member is not None
        with member:
            yield member

    def rows(
        self, name: str, check: Callable[[PairRow], Tuple[str, str, str]]
    ) -> Iterator[Tuple[str, str, str]]:
        """The checked `(first, second, label)` of each pair of the member (errors name `archive!member`)."""
        with self.open(name) as member:
            source = FileSource(f"{self.url}!{name}", lines=number_raw_lines(member))
            for unit in source.units():
                yield check(source.parse(unit))

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()
        if self._tar is not None:
            self._tar.close()


def _checker(
    labels: Sequence[str], aliases: Dict[str, str]
) -> Callable[[PairRow], Tuple[str, str, str]]:
    def check(row: PairRow) -> Tuple[str, str, str]:
        label = (row.label or "").strip()
        label = aliases.get(label, label)
        if label not in labels:
            raise InputFileError(
                row.path, row.line, f"unknown label {row.label!r}; expected one of {list(labels)}"
            )
        return row.first.strip(), row.second.strip(), label

    return check


def _xnli(writer: _Writer, xnli_url: str, xnli_mt_url: str, cache_dir: Optional[str]) -> None:
    check = _checker(XNLI_LABELS, XNLI_LABEL_ALIASES)
    archive = _Archive(xnli_mt_url, cache_dir)
    try:
        writer.write(
            "xnli",
            "train",
            "en",
            archive.rows(archive.find("multinli/multinli.train.en.tsv"), check),
        )
    finally:
        archive.close()
    archive = _Archive(xnli_url, cache_dir)
    try:
        for split in ("dev", "test"):
            by_language: Dict[str, List[Tuple[str, str, str]]] = {}
            name = archive.find(f"xnli.{split}.tsv")
            with archive.open(name) as member:
                source = FileSource(f"{xnli_url}!{name}", lines=number_raw_lines(member))
                for unit in source.units():
                    row = source.parse(unit)
                    language = (row.first_language or "").strip()
                    if not is_known_language(language):
                        raise InputFileError(
                            row.path, row.line, f"unknown language {row.first_language!r}"
                        )
                    by_language.setdefault(language, []).append(check(row))
            missing = [lang for lang in TASK_LANGUAGES["xnli"] if lang not in by_language]
            if missing:
                logger.warning("%s!%s has no pairs in %s", xnli_url, name, " ".join(missing))
            for lang, rows in by_language.items():
                writer.write("xnli", split, lang, rows)
    finally:
        archive.close()


def _pawsx(writer: _Writer, pawsx_url: str, cache_dir: Optional[str]) -> None:
    check = _checker(PAWSX_LABELS, {})
    archive = _Archive(pawsx_url, cache_dir)
    try:
        missing = []
        for split, lang in _planned_files("pawsx"):
            member = f"{lang}/{PAWSX_SPLIT_FILES[split]}"
            if lang != SOURCE_LANGUAGE and not archive.has(member):
                missing.append(member)
                continue
            writer.write("pawsx", split, lang, archive.rows(archive.find(member), check))
        if missing:
            logger.warning("%s has no %s", pawsx_url, " ".join(missing))
    finally:
        archive.close()
