import logging
import subprocess
import sys

from allennlp_robust_xlt.common.errors import InputFileError, ParameterError, install_excepthook


def test_messages_name_the_file_line_or_parameter():
    assert (
        str(InputFileError("data/test-de.tsv", 7, "unknown label 'x'"))
        == "data/test-de.tsv:7: unknown label 'x'"
    )
    assert (
        str(InputFileError("data/test-de.tsv", None, "file not found"))
        == "data/test-de.tsv: file not found"
    )
    assert (
        str(ParameterError("adversarial_training", "epsilon", "must be >= 0, got -1"))
        == "adversarial_training: parameter 'epsilon' must be >= 0, got -1"
    )


def test_uncaught_user_error_is_one_line_without_traceback():
    code = (
        "import allennlp_robust_xlt\n"
        "from allennlp_robust_xlt.common.errors import InputFileError\n"
        "raise InputFileError('x.tsv', 3, 'empty first sentence')\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert completed.returncode == 1
    assert completed.stderr.strip().splitlines()[-1] == "error: x.tsv:3: empty first sentence"
    assert "Traceback" not in completed.stderr


def test_logged_uncaught_user_error_is_shortened(caplog):
    install_excepthook()
    try:
        raise RuntimeError("worker failed") from InputFileError("x.tsv", 3, "bad")
    except RuntimeError as error:
        logging.getLogger().critical(
            "Uncaught exception", exc_info=(type(error), error, error.__traceback__)
        )
    record = caplog.records[-1]
    assert record.getMessage() == "error: x.tsv:3: bad"
    assert record.exc_info is None


def test_transformers_loading_errors_become_one_line_naming_the_model():
    from allennlp_robust_xlt.common.errors import ModelNotFoundError, translate_known_error

    messages = {
        "Can't load config for 'xlm-roberta-base'. If you were trying to load it from": (
            "xlm-roberta-base"
        ),
        "Can't load tokenizer for 'my/model'. If you were trying": "my/model",
        "We couldn't connect to 'https://huggingface.co' to load this file, couldn't find it in"
        " the cached files and it looks like bert-base-cased is not the path to a directory": (
            "bert-base-cased"
        ),
    }
    for message, name in messages.items():
        translated = translate_known_error(OSError(message))
        assert isinstance(translated, ModelNotFoundError) and translated.name == name
        assert "XLT_TRANSFORMER" in str(translated) and "\n" not in str(translated)

    def from_pretrained(pretrained_model_name_or_path):
        raise ValueError(
            "Connection error, and we cannot find the requested files in the cached path."
        )

    try:
        from_pretrained("xlm-roberta-large")
    except ValueError as error:
        assert translate_known_error(error).name == "xlm-roberta-large"
    assert translate_known_error(OSError("disk full")) is None
    assert translate_known_error(ValueError("something else")) is None


def test_jsonnet_errors_become_one_line_at_the_users_config(tmp_path, monkeypatch):
    """A config's `error '...'` (here: a bad XLT_INTERMEDIATE_TASK) and a syntax error."""
    from allennlp.common import Params

    from allennlp_robust_xlt.common.errors import translate_known_error
    from allennlp_robust_xlt.tasks import TASKS
    from tests import CONFIGS_ROOT

    monkeypatch.setenv("XLT_INTERMEDIATE_TASK", "nli")
    config = CONFIGS_ROOT / "pawsx_intermediate_joint_baseline.jsonnet"
    try:
        Params.from_file(str(config))
    except RuntimeError as error:
        translated = translate_known_error(error)
    assert str(translated) == (
        f"{config}:7: XLT_INTERMEDIATE_TASK: unknown task nli; known: {' '.join(sorted(TASKS))}"
    )
    broken = tmp_path / "broken.jsonnet"
    broken.write_text("{a: }")
    try:
        Params.from_file(str(broken))
    except RuntimeError as error:
        translated = translate_known_error(error)
    assert str(translated) == f'config: {broken}:1:5: unexpected: "}}" while parsing terminal'
