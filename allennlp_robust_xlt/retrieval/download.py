"""
Download recipes of the retrieval tasks (`download-xtreme --tasks tatoeba bucc2018 lareqa
mewslix`), from the releases google-research/xtreme's `scripts/download_data.sh` fetches. Each
`--{source}-url` also takes a local directory holding the release unpacked (a clone, or the
archive extracted), found by the same member names. Lines are copied as released, after the
checks of the task's reader, so an error names `archive!member:line`; nothing is written unless
everything was read (`DownloadWriter`).

* Tatoeba (`tatoeba`, `--tatoeba-url`): LASER's `data/tatoeba/v1/tatoeba.{xxx}-eng.{xxx}` and
  `tatoeba.{xxx}-eng.eng` from the LASER repository's `main.zip`, written under the same names
  into `tatoeba/` (the layout `retrieval/tatoeba.py` reads first). Unlike XTREME's
  `tatoeba_preprocess`, neither side is renamed nor sorted: XTREME's sorted English side has
  lost the alignment (google-research/xtreme issues #21, #61). The two sides of a language must
  have as many lines. A language of XTREME-R only that the release lacks is left out with a
  warning.
* BUCC 2018 (`bucc2018`, `--bucc2018-url`): the official `bucc2018-{lg}-en.{sample,training}-gold
  .tar.bz2` archives (the address has the placeholders `{lang}` and `{release}`; or it is one
  local directory or archive holding the unpacked `{lg}-en.{release}.*` files), written as
  XTREME names them: `bucc2018/{lg}-en.{dev,test}.{lg,en,gold}` (sample -> dev, training -> test,
  `BUCC_SPLIT_NAMES`). Unlike XTREME, the test gold is kept (it is public in the training
  archives; BUCC's own test set, whose gold is not public, is not used by XTREME), so that
  `xtreme-retrieval --split test` can score it.
* LAReQA (`lareqa`, `--lareqa-url`): XQuAD-R, `xquad-r/{lang}.json` of the LAReQA repository's
  `master.zip`, into the file names of the task table's row (XTREME's `lareqa/xquad-r/{lang}.json`).
  `mlqa-r/`, which XTREME-R does not use, is not written.
* Mewsli-X (`mewslix`, `--mewslix-url`): no download gives the WikiNews article text; the user
  builds the dataset with Google's `get-mewsli-x.sh` (the row's `download.manual` says how) and
  passes its output directory (or an archive of it). Written as XTREME's `mewslix_preprocess`
  lays it out (the file names of its task-table row): the candidate set and the Wikipedia
  pairs copied, the WikiNews mentions split by language into `wikinews_mentions/{split}-{lang}.jsonl` with the gold
  `wikinews_labels/{split}-{lang}.json` (`{example_id: [entity_id]}`); unlike XTREME, the test
  mentions keep their `entity_id`.
"""

import json
import logging
import os
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Dict, Iterator, List, Optional, Sequence, Set, Tuple, Union

from allennlp_robust_xlt.common.errors import InputFileError, ParameterError
from allennlp_robust_xlt.common.line_reading import decode_line, number_raw_lines
from allennlp_robust_xlt.data.download import (
    COMMAND,
    Archive,
    DownloadWriter,
    Sources,
    download_recipe,
    source_option,
)
from allennlp_robust_xlt.retrieval.bucc import BUCC_SPLIT_NAMES
from allennlp_robust_xlt.retrieval.tatoeba import tatoeba_file_names
from allennlp_robust_xlt.tasks import Task

logger = logging.getLogger(__name__)

Lines = List[Tuple[int, str]]
"""Numbered lines (from 1) without their line ends."""


class ReleaseDirectory:
    """A release unpacked in a local directory, with `Archive`'s interface."""

    def __init__(self, path: str) -> None:
        self.url = path
        self.root = Path(path)
        self.names = sorted(
            item.relative_to(self.root).as_posix()
            for item in self.root.rglob("*")
            if item.is_file()
        )

    def has(self, suffix: str) -> bool:
        return any(name == suffix or name.endswith("/" + suffix) for name in self.names)

    def find(self, suffix: str) -> str:
        matches = [name for name in self.names if name == suffix or name.endswith("/" + suffix)]
        if not matches:
            raise InputFileError(self.url, None, f"has no file {suffix}")
        return min(matches, key=len)

    def display_name(self, member: str) -> str:
        return str(self.root / member)

    @contextmanager
    def open(self, name: str) -> Iterator[IO[bytes]]:
        with open(self.root / name, "rb") as stream:
            yield stream

    def close(self) -> None:
        pass

    def __enter__(self) -> "ReleaseDirectory":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


Release = Union[Archive, ReleaseDirectory]


def open_release(address: str, option: str, cache_dir: Optional[str]) -> Release:
    """A local directory as it is, else the archive at the address (downloaded once)."""
    local = address[len("file://") :] if address.startswith("file://") else address
    if os.path.isdir(local):
        return ReleaseDirectory(local)
    return Archive(address, option, cache_dir)


def member_lines(release: Release, member: str, skip_blank: bool) -> Lines:
    """The member's numbered lines, decoded (invalid UTF-8 names the member and line)."""
    display = release.display_name(member)
    with release.open(member) as stream:
        return [
            (number, decode_line(raw, display, number))
            for number, raw in number_raw_lines(stream, skip_blank=skip_blank)
        ]


def text_lines(lines: Lines) -> Iterator[str]:
    return (line + "\n" for _, line in lines)


def no_planned_files(task: Task) -> List[Tuple[str, str]]:
    """For recipes whose files are not named by the row's `files`: they check their own paths."""
    return []


# -- Tatoeba -------------------------------------------------------------------------------------

# TASK TABLE: where LASER's release keeps the Tatoeba files (facebookresearch/LASER).
LASER_TATOEBA_DIRECTORY = "data/tatoeba/v1"


def tatoeba_member(release: Release, name: str) -> Optional[str]:
    """The member `data/tatoeba/v1/{name}` (or `{name}` anywhere, for a copy of that folder)."""
    for suffix in (f"{LASER_TATOEBA_DIRECTORY}/{name}", name):
        if release.has(suffix):
            return release.find(suffix)
    return None


def check_parallel(release: Release, members: Sequence[str], sides: Sequence[Lines]) -> None:
    """The two sides must have as many lines (as `retrieval/tatoeba.py` requires)."""
    (longer, long_lines), (shorter, short_lines) = sorted(
        zip(members, sides), key=lambda side: -len(side[1])
    )
    if len(long_lines) != len(short_lines):
        raise InputFileError(
            release.display_name(longer),
            len(short_lines) + 1,
            f"has no parallel line in {release.display_name(shorter)}, which ends after line"
            f" {len(short_lines)} (the files must be line-aligned translations)",
        )


@download_recipe("tatoeba", planned=no_planned_files)
def tatoeba(task: Task, writer: DownloadWriter, sources: Sources) -> None:
    directory = writer.output / task.directory
    targets = {
        code: [directory / name for name in tatoeba_file_names(code)[0]]
        for code in task.all_languages
    }
    writer.check_free([path for paths in targets.values() for path in paths])
    missing = []
    with open_release(
        sources.url("tatoeba"), source_option("tatoeba"), sources.cache_dir
    ) as release:
        for code, paths in targets.items():
            members = [tatoeba_member(release, path.name) for path in paths]
            if None in members:
                if code not in task.languages:  # XTREME-R's only: optional
                    missing.append(paths[0].name)
                    continue
                raise InputFileError(
                    release.url,
                    None,
                    f"has no {LASER_TATOEBA_DIRECTORY}/{paths[0].name} and"
                    f" {paths[1].name} (LASER's Tatoeba files)",
                )
            found = [member for member in members if member is not None]
            # Blank lines are kept: line i of each side are translations.
            sides = [member_lines(release, member, skip_blank=False) for member in found]
            check_parallel(release, found, sides)
            if not sides[0]:
                raise InputFileError(release.display_name(found[0]), None, "is empty")
            for path, lines in zip(paths, sides):
                writer.write_lines(path, text_lines(lines))
    if missing:
        logger.warning("%s has no %s", sources.url("tatoeba"), " ".join(missing))


# -- BUCC 2018 -----------------------------------------------------------------------------------

BUCC_PLACEHOLDERS = ("{lang}", "{release}")
"""The placeholders of `--bucc2018-url`: the language and the release's name of the split."""


def bucc_release_name(split: str) -> str:
    """The release's name of an XTREME split: dev -> sample, test -> training."""
    return BUCC_SPLIT_NAMES[split][-1]


def bucc_side(release: Release, member: str) -> Tuple[Lines, Set[str]]:
    """The `id<TAB>sentence` lines, checked as `retrieval/bucc.py` checks them, and their ids."""
    display = release.display_name(member)
    lines = member_lines(release, member, skip_blank=False)
    seen: Dict[str, int] = {}
    for number, line in lines:
        fields = line.strip().split("\t")
        if len(fields) < 2 or not fields[0].strip():
            raise InputFileError(display, number, "expected `id<TAB>sentence`")
        sentence_id = fields[0].strip()
        if sentence_id in seen:
            raise InputFileError(
                display, number, f"repeats the id {sentence_id} of line {seen[sentence_id]}"
            )
        seen[sentence_id] = number
    if not lines:
        raise InputFileError(display, None, "is empty")
    return lines, set(seen)


def bucc_gold(release: Release, member: str, sides: Sequence[Tuple[str, Set[str]]]) -> Lines:
    """`source_id<TAB>english_id` lines naming ids of the two sides (`(display, ids)`)."""
    display = release.display_name(member)
    lines = member_lines(release, member, skip_blank=True)
    for number, line in lines:
        fields = line.strip().split("\t")
        if len(fields) != 2:
            raise InputFileError(display, number, "expected `source_id<TAB>english_id`")
        for value, (side, ids) in zip(fields, sides):
            if value.strip() not in ids:
                raise InputFileError(
                    display, number, f"names the id {value.strip()}, which is not in {side}"
                )
    if not lines:
        raise InputFileError(display, None, "has no gold pairs")
    return lines


def bucc_release_of(
    address: str, language: str, split: str, cache_dir: Optional[str], opened: Dict[str, Release]
) -> Release:
    """The release holding a language's split: its own archive, or the one directory/archive."""
    url = address
    for placeholder, value in zip(BUCC_PLACEHOLDERS, (language, bucc_release_name(split))):
        url = url.replace(placeholder, value)
    if url not in opened:
        opened[url] = open_release(url, source_option("bucc2018"), cache_dir)
    return opened[url]


@download_recipe("bucc2018", planned=no_planned_files)
def bucc2018(task: Task, writer: DownloadWriter, sources: Sources) -> None:
    directory = writer.output / task.directory
    splits = list(BUCC_SPLIT_NAMES)
    writer.check_free(
        [
            directory / f"{code}-en.{BUCC_SPLIT_NAMES[split][0]}.{end}"
            for code in task.languages
            for split in splits
            for end in (code, "en", "gold")
        ]
    )
    address = sources.url("bucc2018")
    opened: Dict[str, Release] = {}
    try:
        for code in task.languages:
            for split in splits:
                release = bucc_release_of(address, code, split, sources.cache_dir, opened)
                prefix = f"{code}-en.{bucc_release_name(split)}"
                output = directory / f"{code}-en.{BUCC_SPLIT_NAMES[split][0]}"
                source_member = release.find(f"{prefix}.{code}")
                english_member = release.find(f"{prefix}.en")
                source, source_ids = bucc_side(release, source_member)
                english, english_ids = bucc_side(release, english_member)
                writer.write_lines(Path(f"{output}.{code}"), text_lines(source))
                writer.write_lines(Path(f"{output}.en"), text_lines(english))
                if not release.has(f"{prefix}.gold"):
                    if split == "dev":
                        raise InputFileError(
                            release.url, None, f"has no {prefix}.gold (the gold pairs)"
                        )
                    logger.warning("%s has no %s.gold: no gold for %s", release.url, prefix, split)
                    continue
                gold = bucc_gold(
                    release,
                    release.find(f"{prefix}.gold"),
                    [
                        (release.display_name(source_member), source_ids),
                        (release.display_name(english_member), english_ids),
                    ],
                )
                writer.write_lines(Path(f"{output}.gold"), text_lines(gold))
    finally:
        for release in opened.values():
            release.close()


# -- LAReQA (XQuAD-R) ----------------------------------------------------------------------------

# TASK TABLE: where the LAReQA repository keeps XQuAD-R (google-research-datasets/lareqa).
XQUAD_R_DIRECTORY = "xquad-r"


def lareqa_planned(task: Task) -> List[Tuple[str, str]]:
    return [("test", code) for code in task.all_languages]


def check_xquad_r(document: Any, display: str) -> None:
    """SQuAD's layout plus each paragraph's `sentence_breaks` (`[start, end]` in its context)."""
    if not isinstance(document, dict) or not isinstance(document.get("data"), list):
        raise InputFileError(display, None, "expected a SQuAD document with a `data` list")
    for article_index, article in enumerate(document["data"]):
        if not isinstance(article, dict) or not isinstance(article.get("paragraphs"), list):
            raise InputFileError(display, None, f"article {article_index}: has no `paragraphs`")
        for paragraph_index, paragraph in enumerate(article["paragraphs"]):
            where = f"article {article_index}, paragraph {paragraph_index}"
            if not isinstance(paragraph, dict):
                raise InputFileError(display, None, f"{where}: expected a paragraph")
            context = paragraph.get("context")
            breaks = paragraph.get("sentence_breaks")
            if not isinstance(context, str) or not isinstance(breaks, list) or not breaks:
                raise InputFileError(
                    display, None, f"{where}: needs a `context` and its `sentence_breaks`"
                )
            for pair in breaks:
                if not (
                    isinstance(pair, list)
                    and len(pair) == 2
                    and all(isinstance(value, int) for value in pair)
                    and 0 <= pair[0] <= pair[1] <= len(context)
                ):
                    raise InputFileError(
                        display,
                        None,
                        f"{where}: sentence break {pair!r} is not [start, end] within the"
                        f" context's {len(context)} characters",
                    )
            for qa in paragraph.get("qas") or []:
                if not isinstance(qa, dict):
                    raise InputFileError(display, None, f"{where}: a question is not an object")
                missing = [name for name in ("id", "question", "answers") if name not in qa]
                if missing:
                    raise InputFileError(
                        display,
                        None,
                        f"question {qa.get('id', '?')} ({where}) has no {', '.join(missing)}",
                    )


def lareqa(task: Task, writer: DownloadWriter, sources: Sources) -> None:
    with open_release(sources.url("lareqa"), source_option("lareqa"), sources.cache_dir) as release:
        for code in task.all_languages:
            suffix = f"{XQUAD_R_DIRECTORY}/{code}.json"
            member = release.find(suffix)
            display = release.display_name(member)
            with release.open(member) as stream:
                data = stream.read()
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError as error:
                line = data[: error.start].count(b"\n") + 1
                raise InputFileError(display, line, "invalid UTF-8") from None
            try:
                document = json.loads(text)
            except json.JSONDecodeError as error:
                raise InputFileError(display, error.lineno, f"invalid JSON: {error.msg}") from None
            check_xquad_r(document, display)
            writer.write_lines(writer.path(task, "test", code), text.splitlines(keepends=True))


# -- Mewsli-X ------------------------------------------------------------------------------------

# The files of Google's `get-mewsli-x.sh` (`mewsli_x/output/dataset/`).
MEWSLIX_RELEASE_MENTIONS = "wikinews_mentions-{split}.jsonl"
MEWSLIX_PAIR_SPLITS = ("train", "dev")


def mewslix_files(task: Task) -> Dict[str, str]:
    """
    Mewsli-X's files under the task directory, as XTREME's `mewslix_preprocess` lays them out,
    from the task table (the row's `retrieval` field and its train/dev `files`).
    """
    return {
        "candidates": task.retrieval["candidates"],
        "mentions": task.retrieval["mentions"],
        "labels": task.retrieval["labels"],
        **{f"pairs-{split}": task.file_pattern(split) for split in MEWSLIX_PAIR_SPLITS},
    }


MEWSLIX_MENTION_SPLITS = ("dev", "test")


def mewslix_paths(task: Task, writer: DownloadWriter) -> List[Path]:
    directory = writer.output / task.directory
    files = mewslix_files(task)
    paths = [directory / files["candidates"]]
    paths += [directory / files[f"pairs-{split}"] for split in MEWSLIX_PAIR_SPLITS]
    for split in MEWSLIX_MENTION_SPLITS:
        for code in task.all_languages:
            for kind in ("mentions", "labels"):
                paths.append(directory / files[kind].format(split=split, lang=code))
    return paths


def json_object(line: str, display: str, number: int, fields: Sequence[str]) -> Dict[str, Any]:
    """The JSON object of a line, which must have `fields` (`a.b` for nested ones)."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        raise InputFileError(display, number, f"invalid JSON: {error.msg}") from None
    if not isinstance(record, dict):
        raise InputFileError(display, number, "expected a JSON object")
    for field in fields:
        value: Any = record
        for name in field.split("."):
            if not isinstance(value, dict) or name not in value:
                raise InputFileError(display, number, f"has no field `{field}`")
            value = value[name]
    return record


def checked_jsonl(release: Release, member: str, fields: Sequence[str]) -> Iterator[str]:
    """The member's JSON lines, streamed, each checked to have `fields`."""
    display = release.display_name(member)
    with release.open(member) as stream:
        for number, raw in number_raw_lines(stream):
            line = decode_line(raw, display, number)
            json_object(line, display, number, fields)
            yield line + "\n"


def mewslix_mentions(
    release: Release, member: str, languages: Sequence[str]
) -> Tuple[Dict[str, List[str]], Dict[str, Dict[str, List[str]]]]:
    """A split's articles by language (lines as released) and the gold `{example_id: [entity]}`."""
    display = release.display_name(member)
    articles: Dict[str, List[str]] = defaultdict(list)
    labels: Dict[str, Dict[str, List[str]]] = defaultdict(dict)
    with release.open(member) as stream:
        for number, raw in number_raw_lines(stream):
            line = decode_line(raw, display, number)
            record = json_object(line, display, number, ("context.language", "mentions"))
            context = record["context"]
            if not context.get("text"):
                raise InputFileError(
                    display,
                    number,
                    "has no article text (`context.text`), as in the released"
                    " wikinews_mentions_no_text files: get-mewsli-x.sh restores it",
                )
            language = context["language"]
            for mention in record["mentions"]:
                if not isinstance(mention, dict) or not {"example_id", "entity_id"} <= set(mention):
                    raise InputFileError(
                        display, number, "a mention has no `example_id` or `entity_id`"
                    )
                labels[language][mention["example_id"]] = [mention["entity_id"]]
            articles[language].append(line + "\n")
    absent = [code for code in languages if code not in articles]
    if absent:
        raise InputFileError(display, None, f"has no mentions in {' '.join(absent)}")
    return articles, labels


def mewslix(task: Task, writer: DownloadWriter, sources: Sources) -> None:
    address = sources.url("mewslix")
    if not address:
        where = task.download.manual.get("mewslix", "") if task.download else ""
        raise ParameterError(COMMAND, source_option("mewslix"), f"must name your copy: {where}")
    writer.check_free(mewslix_paths(task, writer))
    directory = writer.output / task.directory
    files = mewslix_files(task)
    with open_release(address, source_option("mewslix"), sources.cache_dir) as release:
        for split in MEWSLIX_MENTION_SPLITS:
            name = MEWSLIX_RELEASE_MENTIONS.format(split=split)
            if not release.has(name):
                raise InputFileError(
                    release.url,
                    None,
                    f"has no {name}: pass the output directory of Google's get-mewsli-x.sh"
                    " (mewsli_x/output/dataset), which restores the WikiNews text",
                )
            articles, labels = mewslix_mentions(release, release.find(name), task.all_languages)
            for code in task.all_languages:
                path = files["mentions"].format(split=split, lang=code)
                writer.write_lines(directory / path, articles[code])
                path = files["labels"].format(split=split, lang=code)
                text = json.dumps(labels[code], ensure_ascii=False) + "\n"
                writer.write_lines(directory / path, [text])
        name = files["candidates"]
        lines = checked_jsonl(release, release.find(name), ("entity_id", "description"))
        writer.write_lines(directory / name, lines)
        for split in MEWSLIX_PAIR_SPLITS:
            name = files[f"pairs-{split}"]
            fields = ("contextual_mention.context", "contextual_mention.mention", "entity")
            writer.write_lines(directory / name, checked_jsonl(release, release.find(name), fields))


download_recipe("lareqa", planned=lareqa_planned)(lareqa)
download_recipe("mewslix", planned=no_planned_files)(mewslix)
