"""
The documentation cannot drift from the code. For `README.md` and every `docs/*.md`:

* every relative Markdown link points to a file of the repository, and its `#anchor` to a
  heading of that file;
* every repository path in backticks exists. A backticked span is a repository path when it
  starts with one of the repository's top-level entries (`TOP_LEVEL`, e.g.
  `training_configs/...`, `tests/...`, `Makefile`), or when it is a `.py` / `.libsonnet` file
  (or a folder) named from inside the package (`common/line_reading.py` for
  `allennlp_robust_xlt/common/line_reading.py`). Placeholders (`{task}`, `<name>`, `*`) must
  match at least one file;
* every `allennlp COMMAND ...` and `python -m allennlp_robust_xlt COMMAND ...` example in a
  fenced code block parses with that command's real argparse parser: AllenNLP's own, with the
  plugin's subcommands (and allennlp-optuna's `tune`, `best-params`) registered. Placeholders
  are fine (a positional argument is any word); continuation lines, comments, environment
  variables before the command, pipes, `;`, `&&`, loops and `$(...)` are handled as the shell
  would split the commands. Repository paths among an example's arguments must exist too.

A failure names the file and line of every offending link, path or example.
"""

import argparse
import contextlib
import io
import re
import shlex
from pathlib import Path
from typing import Dict, Iterator, List, Set, Tuple

import allennlp_optuna  # noqa: F401  (its `tune` and `best-params` subcommands)
from allennlp.commands import ArgumentParserWithDefaults
from allennlp.commands.subcommand import Subcommand

import allennlp_robust_xlt  # noqa: F401  (registers the plugin's subcommands)
from tests import PROJECT_ROOT

PACKAGE = PROJECT_ROOT / "allennlp_robust_xlt"
DOCS = [PROJECT_ROOT / "README.md", *sorted((PROJECT_ROOT / "docs").glob("*.md"))]
TOP_LEVEL = (
    ".allennlp_plugins",
    ".ci",
    ".flake8",
    ".python-version",
    "Makefile",
    "README.md",
    "allennlp_robust_xlt",
    "benchmarks",
    "constraints-pinned.txt",
    "constraints.txt",
    "docs",
    "examples",
    "pyproject.toml",
    "pytest.ini",
    "scripts",
    "setup.py",
    "tests",
    "training_configs",
)
"""The repository's top-level files and folders: a path that starts with one is checked."""
PLUGIN_COMMANDS = (
    "build-neighbors",
    "download-xtreme",
    "xtreme-alignment",
    "xtreme-compare",
    "xtreme-report",
    "xtreme-retrieval",
)
SHELL_BLOCKS = ("", "bash", "sh", "shell", "console")

Location = Tuple[Path, int]


def where(location: Location) -> str:
    path, line = location
    return f"{path.relative_to(PROJECT_ROOT)}:{line}"


# -- reading Markdown --------------------------------------------------------------------------


def prose_and_code(path: Path) -> Tuple[List[Tuple[int, str]], List[Tuple[int, str, List[str]]]]:
    """The lines outside fenced code blocks (number, text), and the blocks (first line number,
    language, lines)."""
    prose: List[Tuple[int, str]] = []
    blocks: List[Tuple[int, str, List[str]]] = []
    block = None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        fence = re.match(r"^\s*```(\S*)", line)
        if fence and block is None:
            block = (number + 1, fence.group(1), [])
        elif fence:
            blocks.append(block)
            block = None
        elif block is not None:
            block[2].append(line)
        else:
            prose.append((number, line))
    assert block is None, f"{path}: a code block is not closed"
    return prose, blocks


def slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(path: Path) -> Set[str]:
    seen: Dict[str, int] = {}
    found = set()
    for _, line in prose_and_code(path)[0]:
        heading = re.match(r"^#{1,6}\s+(.*)$", line)
        if heading:
            base = slug(heading.group(1))
            count = seen.get(base, 0)
            seen[base] = count + 1
            found.add(base if count == 0 else f"{base}-{count}")
    return found


def inline_code(prose: List[Tuple[int, str]]) -> Iterator[Tuple[int, str]]:
    for number, line in prose:
        for span in re.findall(r"`([^`]+)`", line):
            yield number, span.strip()


def links(prose: List[Tuple[int, str]]) -> Iterator[Tuple[int, str]]:
    for number, line in prose:
        without_code = re.sub(r"`[^`]*`", "", line)
        for target in re.findall(r"\]\(([^)\s]+)\)", without_code):
            yield number, target


# -- repository paths --------------------------------------------------------------------------


def path_exists(root: Path, text: str) -> bool:
    """Whether `text` (relative to `root`) names an existing file or folder; placeholders
    (`{...}`, `<...>`, `*`) must match at least one."""
    pattern = re.sub(r"\{[^}]*\}|<[^>]*>", "*", text)
    if "*" in pattern:
        return any(root.glob(pattern.rstrip("/")))
    return (root / text).exists()


def repository_path(span: str) -> Tuple[Path, str]:
    """`(root, path)` if the backticked `span` names a path of the repository, else `(None, "")`."""
    if re.search(r"\s|\.\.\.|\$|://|^-", span):
        return None, ""
    first = re.split(r"[/{<*]", span, maxsplit=1)[0]
    if first in TOP_LEVEL and (span == first or span[len(first)] in "/"):
        return PROJECT_ROOT, span
    package_part = re.match(r"^([a-z_]+)/", span)
    if package_part and (PACKAGE / package_part.group(1)).is_dir():
        code_file = re.search(r"\.(py|libsonnet)$", span)
        folder = span.endswith("/") and package_part.group(1) != "data"  # data/xtreme/: user data
        if code_file or folder:
            return PACKAGE, span
    return None, ""


def test_top_level_entries_exist():
    for name in TOP_LEVEL:
        assert (PROJECT_ROOT / name).exists(), name


def test_every_link_and_repository_path_exists():
    problems = []
    checked = 0
    for doc in DOCS:
        prose, _ = prose_and_code(doc)
        for number, target in links(prose):
            if re.match(r"^[a-z]+:", target):  # https:, mailto:
                continue
            file_part, _, anchor = target.partition("#")
            target_path = (doc.parent / file_part).resolve() if file_part else doc
            checked += 1
            if not target_path.exists():
                problems.append(f"{where((doc, number))}: link to a missing file: {target}")
            elif anchor and target_path.suffix == ".md" and anchor not in anchors(target_path):
                problems.append(f"{where((doc, number))}: no heading for the anchor: {target}")
            elif PROJECT_ROOT not in target_path.parents and target_path != PROJECT_ROOT:
                problems.append(f"{where((doc, number))}: link outside the repository: {target}")
        for number, span in inline_code(prose):
            root, text = repository_path(span)
            if root is None:
                continue
            checked += 1
            if not path_exists(root, text):
                shown = text if root == PROJECT_ROOT else f"{text} (in allennlp_robust_xlt/)"
                problems.append(f"{where((doc, number))}: no such repository path: {shown}")
    assert not problems, "\n".join(problems)
    assert checked > 150  # the rule finds the docs' links and paths (about 200 today)


def test_the_rule_for_repository_paths():
    assert repository_path("training_configs/xnli_adv.jsonnet") == (
        PROJECT_ROOT,
        "training_configs/xnli_adv.jsonnet",
    )
    assert repository_path("common/line_reading.py") == (PACKAGE, "common/line_reading.py")
    assert repository_path("rc/tools/") == (PACKAGE, "rc/tools/")
    for not_a_path in ("data/xtreme/xnli/test-de.tsv", "runs/xnli/model.tar.gz", "f1", "-o"):
        assert repository_path(not_a_path) == (None, "")
    assert path_exists(PROJECT_ROOT, "training_configs/{task}_{adv,rs_rp}.jsonnet")
    assert not path_exists(PROJECT_ROOT, "training_configs/nonexistent_{x}.jsonnet")
    assert not path_exists(PACKAGE, "common/nonexistent.py")
    assert (
        slug("Question answering: SQuAD -> XQuAD, MLQA") == "question-answering-squad---xquad-mlqa"
    )
    assert slug("Per-language reports: `xtreme-report`") == "per-language-reports-xtreme-report"


# -- command-line examples ---------------------------------------------------------------------


def shell_commands(block: List[str], first_line: int) -> Iterator[Tuple[int, List[str]]]:
    """(line, argv) of each simple command of a shell block, as the shell would split them."""
    logical, start = "", first_line
    for offset, line in enumerate(block):
        if not logical:
            start = first_line + offset
        line = strip_comment(line)
        if line.endswith("\\"):
            logical += line[:-1] + " "
            continue
        yield from ((start, argv) for argv in simple_commands(logical + line))
        logical = ""
    if logical:
        yield from ((start, argv) for argv in simple_commands(logical))


def strip_comment(line: str) -> str:
    """The line without a shell comment (`#` at the start of a word, outside quotes)."""
    quote, index = None, 0
    while index < len(line):
        char = line[index]
        if quote:
            if char == "\\" and quote == '"':
                index += 1  # an escaped character
            elif char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "#" and (index == 0 or line[index - 1].isspace()):
            return line[:index].rstrip()
        index += 1
    return line.rstrip()


def simple_commands(text: str) -> Iterator[List[str]]:
    # Command substitutions become one placeholder word (innermost first).
    while re.search(r"\$\([^()]*\)", text):
        text = re.sub(r"\$\([^()]*\)", "SUBSTITUTED", text)
    pieces, current, quote, index = [], "", None, 0
    while index < len(text):
        char = text[index]
        if quote:
            if char == "\\" and quote == '"' and index + 1 < len(text):
                current += text[index : index + 2]
                index += 2
                continue
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char in ";|&":
            pieces.append(current)
            current = ""
            index += 1
            continue
        current += char
        index += 1
    pieces.append(current)
    for piece in pieces:
        words = shlex.split(piece)
        while words and (
            words[0] in ("do", "then", "else", "time", "{", "(")
            or re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[0])
        ):
            words = words[1:]
        if words:
            yield words


def plugin_argv(words: List[str]) -> List[str]:
    """The arguments after `allennlp` or `python -m allennlp_robust_xlt`, else []."""
    if words[0] == "allennlp":
        return words[1:]
    if re.match(r"^(.*/)?python3?$", words[0]) and words[1:3] == ["-m", "allennlp_robust_xlt"]:
        return words[3:]
    return []


def examples() -> Iterator[Tuple[Location, List[str]]]:
    for doc in DOCS:
        for first_line, language, block in prose_and_code(doc)[1]:
            if language not in SHELL_BLOCKS:
                continue
            try:
                commands = list(shell_commands(block, first_line))
            except ValueError as error:  # e.g. an unclosed quote
                raise AssertionError(f"{where((doc, first_line))}: not a shell block: {error}")
            for line, words in commands:
                argv = plugin_argv(words)
                if argv:
                    yield (doc, line), argv


def parser() -> argparse.ArgumentParser:
    """AllenNLP's command line as `allennlp` builds it, every registered subcommand included."""
    main = ArgumentParserWithDefaults(description="Run AllenNLP", prog="allennlp")
    subparsers = main.add_subparsers(title="Commands", metavar="")
    for name in sorted(Subcommand.list_available()):
        subcommand_class = Subcommand.by_name(name)
        subparser = subcommand_class().add_subparser(subparsers)
        if subcommand_class.requires_plugins:
            subparser.add_argument("--include-package", type=str, action="append", default=[])
    return main


def parse_error(command_line: argparse.ArgumentParser, argv: List[str]) -> str:
    """argparse's message for `argv`, or "" when it parses."""
    errors = io.StringIO()
    try:
        with contextlib.redirect_stderr(errors), contextlib.redirect_stdout(io.StringIO()):
            command_line.parse_args(argv)
    except SystemExit:
        return errors.getvalue().strip().splitlines()[-1]
    return ""


def test_every_command_line_example_parses():
    command_line = parser()
    found = list(examples())
    problems = []
    for location, argv in found:
        error = parse_error(command_line, argv)
        if error:
            problems.append(f"{where(location)}: {' '.join(argv[:2])} ...: {error}")
        for word in argv:
            value = word.split("=", 1)[-1]
            root, text = repository_path(value)
            if root is PROJECT_ROOT and not path_exists(root, text):
                problems.append(f"{where(location)}: no such repository path: {text}")
    assert not problems, "\n".join(problems)
    # The examples cover AllenNLP's commands and every command of the plugin.
    shown = {argv[0] for _, argv in found}
    assert {"train", "evaluate", "predict", "tune", *PLUGIN_COMMANDS} <= shown, shown
    assert len(found) > 50


def test_a_wrong_option_is_reported_with_its_file_and_line(tmp_path: Path):
    # What the check sees in a block: a continued command with an env var, a loop, a pipe.
    block = [
        "XLT_TASK=xnli allennlp train training_configs/xnli_adv.jsonnet \\",
        "    -s runs/x --include-package allennlp_robust_xlt  # a comment",
        "for seed in 0 1; do python -m allennlp_robust_xlt xtreme-report a.tar.gz data \\",
        '    --output-dir "r-$seed" --no-such-option; done | tee log',
        "allennlp xtreme-compare --runs $(runs xnli) --output-dir c  # baseline#0=x",
    ]
    commands = [(line, plugin_argv(words)) for line, words in shell_commands(block, 10)]
    commands = [(line, argv) for line, argv in commands if argv]
    assert [line for line, _ in commands] == [10, 12, 14]
    assert commands[0][1][:2] == ["train", "training_configs/xnli_adv.jsonnet"]
    assert commands[2][1] == ["xtreme-compare", "--runs", "SUBSTITUTED", "--output-dir", "c"]
    command_line = parser()
    assert parse_error(command_line, commands[0][1]) == ""
    assert "unrecognized arguments: --no-such-option" in parse_error(command_line, commands[1][1])
    assert parse_error(command_line, commands[2][1]) == ""
    assert "invalid choice" in parse_error(command_line, ["xtreme-reprot", "a", "b"])
