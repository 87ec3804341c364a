"""
Bad input, through the real commands: each case ends in one clear message that names the file
and line (or the parameter), and leaves no output behind. Valid but unusual input (byte-order
mark, CRLF line endings) is read like the plain file.
"""

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, List, Type

import pytest
from allennlp.common.checks import ConfigurationError

from allennlp_robust_xlt.common.errors import InputFileError, ParameterError
from allennlp_robust_xlt.testing.cli import run_allennlp
from tests import CONFIGS_ROOT, PROJECT_ROOT, XTREME_DATA
from tests.reliability.helpers import NEIGHBORS

CLEAN = (XTREME_DATA / "xnli" / "test-en.tsv").read_bytes()
CLEAN_ROWS = CLEAN.decode("utf-8").splitlines()
SMALL = {"trainer.num_epochs": 1, "data_loader.batch_sampler.batch_size": 16}


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory, tiny_xlmr: Path) -> Path:
    """A tiny trained XNLI model (one epoch) to evaluate the bad files with."""
    env = {
        "XLT_TRANSFORMER": str(tiny_xlmr),
        "XLT_TRANSFORMER_DIM": "32",
        "XLT_DATA_DIR": str(XTREME_DATA),
    }
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        directory = tmp_path_factory.mktemp("bad_input") / "run"
        run_allennlp(
            "train",
            str(CONFIGS_ROOT / "xnli_baseline.jsonnet"),
            "-s",
            str(directory),
            "-o",
            json.dumps(SMALL),
        )
        return directory / "model.tar.gz"
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def rows(*lines: str) -> bytes:
    return "".join(line + "\n" for line in lines).encode("utf-8")


@dataclass
class Case:
    name: str
    # Writes the case's files into the directory and returns the command line (after `allennlp`).
    command: Callable[[Path, Path], List[str]]
    error: Type[Exception]
    message: str  # a regular expression the message must match (searched)
    # Files the failing command must not leave behind, relative to the case's directory.
    no_output: tuple = ("out",)


def evaluate(data: Callable[[Path], Path]) -> Callable[[Path, Path], List[str]]:
    return lambda tmp, archive: [
        "evaluate",
        str(archive),
        str(data(tmp)),
        "--output-file",
        str(tmp / "out"),
    ]


def train(config: str, **overrides: object) -> Callable[[Path, Path], List[str]]:
    def command(tmp: Path, archive: Path) -> List[str]:
        resolved = {
            key: (value(tmp) if callable(value) else value) for key, value in overrides.items()
        }
        return [
            "train",
            str(CONFIGS_ROOT / f"{config}.jsonnet"),
            "-s",
            str(tmp / "out"),
            "-o",
            json.dumps({**SMALL, **resolved}),
        ]

    return command


def not_parallel(tmp: Path) -> Path:
    write(tmp / "test-de.tsv", (XTREME_DATA / "xnli" / "test-de.tsv").read_bytes())
    write(
        tmp / "test-fr.tsv",
        rows(*(XTREME_DATA / "xnli" / "test-fr.tsv").read_text().splitlines()[:-2]),
    )
    return tmp / "test-de-fr.tsv"


def neighbors(data: bytes) -> Callable[[Path], str]:
    return lambda tmp: str(write(tmp / "neighbors.json", data))


def existing_run(tmp: Path, archive: Path) -> List[str]:
    return [
        "train",
        str(CONFIGS_ROOT / "xnli_baseline.jsonnet"),
        "-s",
        str(archive.parent),
        "-o",
        json.dumps(SMALL),
    ]


def build_neighbors_over_existing(tmp: Path, archive: Path) -> List[str]:
    write(tmp / "vectors.vec", b"2 3\nmovie 1 0 0\nfilm 1 0.1 0\n")
    write(tmp / "table.json", b'{"keep": ["me"]}')
    return ["build-neighbors", str(tmp / "vectors.vec"), str(tmp / "table.json")]


def report(*arguments: str) -> Callable[[Path, Path], List[str]]:
    return lambda tmp, archive: [
        "xtreme-report",
        str(archive),
        str(XTREME_DATA / "xnli"),
        "--output-dir",
        str(tmp / "out"),
        *arguments,
    ]


P = re.escape
CASES = [
    # -- data files --
    Case(
        "wrong column count",
        evaluate(lambda t: write(t / "test-en.tsv", rows(CLEAN_ROWS[0], "only\ttwo"))),
        InputFileError,
        r"test-en\.tsv:2: .*column",
    ),
    Case(
        "unknown label",
        evaluate(
            lambda t: write(t / "test-en.tsv", rows(CLEAN_ROWS[0], "A man.\tA person.\tmaybe"))
        ),
        InputFileError,
        r"test-en\.tsv:2: .*label",
    ),
    Case(
        "empty sentence",
        evaluate(lambda t: write(t / "test-en.tsv", rows(CLEAN_ROWS[0], "\tA person.\tneutral"))),
        InputFileError,
        r"test-en\.tsv:2: empty",
    ),
    Case(
        "invalid UTF-8",
        evaluate(
            lambda t: write(
                t / "test-en.tsv", rows(CLEAN_ROWS[0]) + b"A caf\xe9.\tA bar.\tneutral\n"
            )
        ),
        InputFileError,
        r"test-en\.tsv:2: .*UTF-8",
    ),
    Case(
        "missing file",
        evaluate(lambda t: t / "test-en.tsv"),
        InputFileError,
        r"test-en\.tsv: .*not found",
    ),
    Case(
        "empty file",
        evaluate(lambda t: write(t / "test-en.tsv", b"")),
        InputFileError,
        r"test-en\.tsv: .*empty",
    ),
    Case(
        "generalized files not parallel",
        evaluate(not_parallel),
        InputFileError,
        r"test-fr\.tsv.*parallel|parallel.*test-fr\.tsv",
    ),
    Case(
        "unknown language in a generalized file name",
        evaluate(lambda t: write(t / "test-de.tsv", CLEAN).parent / "test-de-xx.tsv"),
        InputFileError,
        r"test-de-xx\.tsv.*xx",
    ),
    # -- neighbour tables (RS-DA) --
    Case(
        "neighbour table is a list",
        train("xnli_rs_da", **{"dataset_reader.neighbors": neighbors(b'["movie", "film"]')}),
        InputFileError,
        r"neighbors\.json.*object",
    ),
    Case(
        "neighbour table values are not lists",
        train("xnli_rs_da", **{"dataset_reader.neighbors": neighbors(b'{"movie": "film"}')}),
        InputFileError,
        r"neighbors\.json.*movie.*list",
    ),
    Case(
        "neighbour table is not JSON",
        train("xnli_rs_da", **{"dataset_reader.neighbors": neighbors(b'{"movie": ["film"],\n')}),
        InputFileError,
        r"neighbors\.json:\d+: .*JSON",
    ),
    Case(
        "neighbour table missing",
        train("xnli_rs_da", **{"dataset_reader.neighbors": lambda t: str(t / "nope.json")}),
        InputFileError,
        r"nope\.json.*not found",
    ),
    Case(
        "copies < 1",
        train(
            "xnli_rs_da", **{"dataset_reader.neighbors": str(NEIGHBORS), "dataset_reader.copies": 0}
        ),
        ParameterError,
        r"randomized_smoothing: parameter 'copies'",
    ),
    # -- trainer callbacks --
    Case(
        "epsilon < 0",
        train("xnli_adv", **{"trainer.callbacks.0.epsilon": -0.1}),
        ParameterError,
        r"adversarial_training: parameter 'epsilon'",
    ),
    Case(
        "steps < 1",
        train("xnli_adv", **{"trainer.callbacks.0.steps": 0}),
        ParameterError,
        r"adversarial_training: parameter 'steps'",
    ),
    Case(
        "unknown method",
        train("xnli_adv", **{"trainer.callbacks.0.method": "sgd"}),
        ParameterError,
        r"adversarial_training: parameter 'method'",
    ),
    Case(
        "unknown norm",
        train("xnli_adv", **{"trainer.callbacks.0.norm": "l3"}),
        ParameterError,
        r"adversarial_training: parameter 'norm'",
    ),
    Case(
        "noise scale < 0",
        train("xnli_rs_rp", **{"trainer.callbacks.0.scale": -1}),
        ParameterError,
        r"random_perturbation: parameter 'scale'",
    ),
    Case(
        "unknown noise distribution",
        train("xnli_rs_rp", **{"trainer.callbacks.0.distribution": "cauchy"}),
        ParameterError,
        r"random_perturbation: parameter 'distribution'",
    ),
    # -- readers' parameters --
    Case(
        "unknown language code",
        train("xnli_baseline", **{"dataset_reader.languages": ["de", "xx"]}),
        ParameterError,
        r"parameter 'languages'.*xx",
    ),
    # -- command lines --
    Case(
        "serialization directory holds a run",
        existing_run,
        ConfigurationError,
        P("already exists and is not empty"),
    ),
    Case(
        "build-neighbors over an existing table",
        build_neighbors_over_existing,
        ConfigurationError,
        r"table\.json.*--force",
    ),
    Case(
        "xtreme-report --batch-size 0",
        report("--batch-size", "0"),
        ParameterError,
        r"xtreme-report: parameter '--batch-size'",
    ),
    Case(
        "xtreme-report unknown language",
        report("--languages", "de", "xx"),
        ParameterError,
        r"'--languages'.*xx",
    ),
    Case(
        "xtreme-report into a non-empty directory",
        lambda t, a: (write(t / "out" / "keep.txt", b"mine"), report()(t, a))[1],
        ConfigurationError,
        r"out.*--force",
        no_output=(),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_bad_input(case: Case, archive: Path, tmp_path: Path):
    arguments = case.command(tmp_path, archive)
    before = sorted(str(path) for path in archive.parent.rglob("*"))
    with pytest.raises(case.error) as raised:
        run_allennlp(*arguments)
    message = str(raised.value).strip("'\"")
    assert re.search(case.message, message), message
    assert "\n" not in message
    # Nothing of a previous run changed.
    assert sorted(str(path) for path in archive.parent.rglob("*")) == before
    for name in case.no_output:
        output = tmp_path / name
        if output.exists() and arguments[0] == "train":
            # `allennlp train` created it in this (in-process) call: only its start-up files, which
            # the plugin's exit hook removes in a real command (see test_command_line_*).
            assert {p.name for p in output.iterdir()} <= {
                "config.json",
                "meta.json",
                "out.log",
                "vocabulary",
            }
        else:
            assert not output.exists(), f"{name} left behind"


def test_bom_and_crlf_are_read_like_the_plain_file(archive: Path, tmp_path: Path):
    outputs = {}
    for name, data in {
        "plain": CLEAN,
        "bom": b"\xef\xbb\xbf" + CLEAN,
        "crlf": CLEAN.replace(b"\n", b"\r\n"),
        "bom_crlf": b"\xef\xbb\xbf" + CLEAN.replace(b"\n", b"\r\n"),
    }.items():
        path = write(tmp_path / name / "test-en.tsv", data)
        run_allennlp(
            "evaluate", str(archive), str(path), "--output-file", str(tmp_path / f"{name}.json")
        )
        outputs[name] = json.loads((tmp_path / f"{name}.json").read_text())
    assert outputs["plain"]["loss"] > 0
    for name in ("bom", "crlf", "bom_crlf"):
        assert outputs[name] == pytest.approx(outputs["plain"], abs=1e-6), name


def run_command(arguments: List[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "allennlp_robust_xlt", *arguments],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )


def last_line(stderr: str) -> str:
    return [line for line in stderr.splitlines() if line.strip()][-1]


SUBPROCESS_CASES = [
    "wrong column count",
    "epsilon < 0",
    "neighbour table is a list",
    "xtreme-report --batch-size 0",
]


@pytest.mark.parametrize(
    "name",
    [
        name if name == "epsilon < 0" else pytest.param(name, marks=pytest.mark.slow)
        for name in SUBPROCESS_CASES
    ],
)
def test_command_line_ends_with_one_line(name: str, archive: Path, tmp_path: Path):
    """In a real process: the last line of stderr is the message, no traceback, no output left."""
    case = next(case for case in CASES if case.name == name)
    completed = run_command(case.command(tmp_path, archive), tmp_path)
    assert completed.returncode != 0
    line = last_line(completed.stderr)
    assert line.startswith("error: ") or " - error: " in line, completed.stderr[-2000:]
    assert re.search(case.message, line), line
    assert "Traceback" not in completed.stderr
    assert not (tmp_path / "out").exists(), f"left behind: {list((tmp_path / 'out').iterdir())}"


@pytest.mark.slow
def test_failed_train_keeps_a_directory_that_existed(archive: Path, tmp_path: Path):
    """The exit hook removes only what the failing command created: never a directory given to it."""
    out = tmp_path / "out"
    write(out / "notes.txt", b"mine")
    command = train("xnli_adv", **{"trainer.callbacks.0.epsilon": -0.1})(tmp_path, archive)
    completed = run_command(command, tmp_path)
    assert "already exists and is not empty" in last_line(completed.stderr)
    assert (out / "notes.txt").read_bytes() == b"mine"
    completed = run_command(
        command + ["--force"], tmp_path
    )  # the user asked AllenNLP to replace it
    assert "parameter 'epsilon'" in last_line(completed.stderr)
    assert out.is_dir()  # replaced by --force, then left for the user to inspect


def test_unloadable_transformer_is_one_line_naming_it(tmp_path: Path):
    """Offline, a model name that is neither a local directory nor cached: one line, no run dir."""
    command = ["train", str(CONFIGS_ROOT / "xnli_baseline.jsonnet"), "-s", "out"]
    environment = {"XLT_TRANSFORMER": "no-such-org/no-such-model", "HF_HUB_OFFLINE": "1"}
    with pytest.MonkeyPatch.context() as patch:
        for key, value in environment.items():
            patch.setenv(key, value)
        completed = run_command(command, tmp_path)
    line = last_line(completed.stderr)
    assert completed.returncode != 0
    assert "error: cannot load the transformer 'no-such-org/no-such-model'" in line
    assert "XLT_TRANSFORMER" in line and "Traceback" not in completed.stderr
    assert not (tmp_path / "out").exists()
