"""
The machinery of `download-xtreme` (the command is `commands/download_xtreme.py`): fetching the
official release archives through AllenNLP's cache, reading their members, and writing files
in XTREME's layout atomically and never over a user's file without `force`.

A task's row in the task table (`tasks.libsonnet`) names its download recipe and the addresses
of the releases it reads (`download.sources`). A recipe is a function of the task's family
package, registered with `@download_recipe(name)`:

```python
@download_recipe("pawsx")
def pawsx(task: Task, writer: DownloadWriter, sources: Sources) -> None:
    archive = sources.archive("pawsx")           # the release archive (downloaded once)
    writer.write(task, "test", "de", rows)        # rows: tuples of columns
```

`DownloadRecipe.planned` lists the files a recipe writes (by default: a `train` file for each of
the task's training languages, `dev` and `test` files for each test language), so that existing
files are refused before anything is downloaded. With `translate_train` (the command's
`--translate-train`), recipes that can also write the machine-translated training sets of their
release into `{task}/translate-train/train-{lang}` (`DownloadWriter.write_translated`), listed
by their `translated` function.
"""

import logging
import os
import tarfile
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Callable, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple

import requests

from allennlp_robust_xlt.common.errors import InputFileError, ParameterError
from allennlp_robust_xlt.common.files import local_input
from allennlp_robust_xlt.tasks import TASKS, Task

logger = logging.getLogger(__name__)

COMMAND = "download-xtreme"
TRANSLATE_TRAIN = "translate-train"

Row = Tuple[str, ...]


class DownloadWriter:
    """Writes a task's files atomically, never over an existing one unless `force`."""

    def __init__(self, output: Path, force: bool) -> None:
        self.output = output
        self.force = force
        self.written: Dict[Path, int] = {}

    def path(self, task: Task, split: str, language: str) -> Path:
        return self.output / task.directory / task.file_name(split, language)

    def translated_path(self, task: Task, language: str) -> Path:
        """`{task}/translate-train/train-{language}`: machine-translated training data."""
        return self.output / task.directory / TRANSLATE_TRAIN / task.file_name("train", language)

    def check_free(self, paths: Sequence[Path]) -> None:
        existing = [str(path) for path in paths if path.exists()]
        if existing and not self.force:
            shown = ", ".join(existing[:5])
            if len(existing) > 5:
                shown += f" and {len(existing) - 5} more"
            raise ParameterError(
                COMMAND, "--force", f"is needed to overwrite the existing file(s) {shown}"
            )

    def write_lines(self, path: Path, lines: Iterable[str]) -> int:
        """Writes the lines (each ending in a newline) to `path` atomically; returns their number."""
        self.check_free([path])
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        count = 0
        try:
            with open(partial, "w", encoding="utf-8", newline="\n") as out:
                for line in lines:
                    out.write(line)
                    count += 1
            os.replace(partial, path)
        finally:
            if partial.exists():
                partial.unlink()
        self.written[path] = count
        logger.info("wrote %s (%d lines)", path, count)
        return count

    def write(self, task: Task, split: str, language: str, rows: Iterable[Row]) -> int:
        """`{task directory}/{split}-{language}{extension}`: one tab-separated line per row."""
        lines = ("\t".join(row) + "\n" for row in rows)
        return self.write_lines(self.path(task, split, language), lines)

    def write_translated(self, task: Task, language: str, rows: Iterable[Row]) -> int:
        lines = ("\t".join(row) + "\n" for row in rows)
        return self.write_lines(self.translated_path(task, language), lines)


def _unreachable(url: str, option: str, error: Exception) -> InputFileError:
    reason = type(error).__name__
    return InputFileError(
        url,
        None,
        f"could not be reached ({reason}); download it on a machine with network access and "
        f"pass the local archive or a mirror with {option}",
    )


def local_archive(url: str, option: str, cache_dir: Optional[str]) -> str:
    """The local path of the archive at `url` (downloaded once into the cache)."""
    if url.startswith("file://"):
        url = url[len("file://") :]
    try:
        return local_input(url, missing="archive not found", cache_dir=cache_dir)
    except (requests.exceptions.RequestException, ConnectionError, TimeoutError) as error:
        raise _unreachable(url, option, error) from None


class Archive:
    """Members of a zip or tar(.gz) archive, found by the end of their path."""

    def __init__(self, url: str, option: str, cache_dir: Optional[str]) -> None:
        self.url = url
        self.path = local_archive(url, option, cache_dir)
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

    def display_name(self, member: str) -> str:
        """How errors name a member: `archive!member`."""
        return f"{self.url}!{member}"

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

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()
        if self._tar is not None:
            self._tar.close()

    def __enter__(self) -> "Archive":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class Sources:
    """
    The addresses of a task's releases (the table's, or the user's `--{source}-url`), and
    whether the recipe also writes the release's translated training sets.
    """

    def __init__(
        self, urls: Mapping[str, str], cache_dir: Optional[str], translate_train: bool = False
    ) -> None:
        self.urls = dict(urls)
        self.cache_dir = cache_dir
        self.translate_train = translate_train

    def url(self, source: str) -> str:
        return self.urls[source]

    def archive(self, source: str) -> Archive:
        return Archive(self.urls[source], source_option(source), self.cache_dir)


def source_option(source: str) -> str:
    """The command-line option that replaces a source's address: `--xnli-mt-url`."""
    return f"--{source}-url"


RecipeFunction = Callable[[Task, DownloadWriter, Sources], None]


@dataclass(frozen=True)
class DownloadRecipe:
    run: RecipeFunction
    planned: Callable[[Task], List[Tuple[str, str]]]
    translated: Callable[[Task], List[str]]
    """The languages of the translated training sets it writes with `--translate-train`."""


def default_planned_files(task: Task) -> List[Tuple[str, str]]:
    """`(split, language)` of a train file per training language, dev and test per language."""
    return [("train", code) for code in task.train_languages] + [
        (split, code) for split in ("dev", "test") for code in task.languages
    ]


DOWNLOAD_RECIPES: Dict[str, DownloadRecipe] = {}


def download_recipe(
    name: str,
    planned: Callable[[Task], List[Tuple[str, str]]] = default_planned_files,
    translated: Callable[[Task], List[str]] = lambda task: [],
) -> Callable[[RecipeFunction], RecipeFunction]:
    """Registers a download recipe under the name the task table uses."""

    def register(function: RecipeFunction) -> RecipeFunction:
        DOWNLOAD_RECIPES[name] = DownloadRecipe(function, planned, translated)
        return function

    return register


def downloadable_tasks() -> List[str]:
    return [key for key, task in TASKS.items() if task.download is not None]


def default_tasks() -> List[str]:
    """The tasks of a run without `--tasks` (the table's `download.by_default`)."""
    return [key for key in downloadable_tasks() if TASKS[key].download.by_default]  # type: ignore[union-attr]


def check_manual_sources(tasks: Sequence[Task], addresses: Mapping[str, str]) -> None:
    """A source without an official address (`download.manual`) needs the user's copy."""
    for task in tasks:
        assert task.download is not None
        for source, where in task.download.manual.items():
            if not addresses.get(source):
                raise ParameterError(
                    COMMAND,
                    source_option(source),
                    f"must name your copy of the {task.name} release (a local archive, a"
                    f" file:// URL or a mirror): {where}",
                )


def all_sources() -> Dict[str, str]:
    """Every source of every downloadable task and its official address."""
    sources: Dict[str, str] = {}
    for key in downloadable_tasks():
        sources.update(TASKS[key].download.sources)  # type: ignore[union-attr]
    return sources


def download_xtreme(
    output_dir: str,
    tasks: Optional[Sequence[str]] = None,
    force: bool = False,
    cache_dir: Optional[str] = None,
    urls: Optional[Mapping[str, str]] = None,
    translate_train: bool = False,
) -> Dict[str, int]:
    """Downloads and writes the tasks' files; returns `{written path: number of lines}`."""
    known = downloadable_tasks()
    chosen = list(tasks) if tasks else default_tasks()
    for key in chosen:
        if key not in known:
            raise ParameterError(
                COMMAND, "--tasks", f"has the unknown task {key!r}; known: {' '.join(known)}"
            )
    addresses = {**all_sources(), **(urls or {})}
    writer = DownloadWriter(Path(output_dir), force)
    recipes = []
    for key in chosen:
        task = TASKS[key]
        assert task.download is not None
        if task.download.recipe not in DOWNLOAD_RECIPES:
            raise ParameterError(COMMAND, "--tasks", f"{key}: no download recipe is registered")
        recipes.append((task, DOWNLOAD_RECIPES[task.download.recipe]))
    check_manual_sources([task for task, _ in recipes], addresses)
    # Refuse before any download if a file we are going to write exists.
    planned = [
        writer.path(task, split, code)
        for task, recipe in recipes
        for split, code in recipe.planned(task)
    ]
    if translate_train:
        planned += [
            writer.translated_path(task, code)
            for task, recipe in recipes
            for code in recipe.translated(task)
        ]
    writer.check_free(planned)
    for task, recipe in recipes:
        assert task.download is not None
        sources = Sources(
            {name: addresses[name] for name in task.download.sources}, cache_dir, translate_train
        )
        recipe.run(task, writer, sources)
    return {str(path): count for path, count in writer.written.items()}
