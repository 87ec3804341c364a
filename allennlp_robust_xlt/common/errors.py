"""
User-facing errors of the plugin.

Every mistake in a file or a parameter that a user can make ends in one of these, with a message
that names the file and line (or the parameter) and says what was wrong. `install_excepthook`
(run when the plugin is imported) makes them end an `allennlp` command as one line instead of a
traceback; set `ROBUST_XLT_TRACEBACK=1` to see the traceback anyway.
"""

import logging
import os
import re
import sys
from pathlib import Path
from types import TracebackType
from typing import Optional, Type, Union

from allennlp.common.checks import ConfigurationError

from allennlp_robust_xlt.common.run_cleanup import remove_failed_serialization_dir


class RobustXltError(ConfigurationError):
    """Base class: a misconfiguration or bad input that the user can fix."""


class InputFileError(RobustXltError):
    """A problem in an input file, located by path and (when known) 1-based line number."""

    def __init__(self, path: Union[str, Path], line: Optional[int], problem: str) -> None:
        location = f"{path}:{line}" if line is not None else str(path)
        super().__init__(f"{location}: {problem}")
        self.path = str(path)
        self.line = line
        self.problem = problem

    def __reduce__(self):  # type: ignore[override]
        return type(self), (self.path, self.line, self.problem)


class ParameterError(RobustXltError):
    """An invalid value for a named parameter of one of our components."""

    def __init__(self, component: str, parameter: str, problem: str) -> None:
        super().__init__(f"{component}: parameter '{parameter}' {problem}")
        self.component = component
        self.parameter = parameter
        self.problem = problem

    def __reduce__(self):  # type: ignore[override]
        return type(self), (self.component, self.parameter, self.problem)


def check_int(component: str, parameter: str, value: object, minimum: int = 1) -> int:
    """`value` if it is an integer of at least `minimum`, else a `ParameterError` naming the parameter."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ParameterError(
            component, parameter, f"must be an integer of at least {minimum}, got {value!r}"
        )
    return value


# transformers' errors when a model name is neither a local directory nor reachable on the hub.
_UNLOADABLE_MODEL = (
    re.compile(r"^Can't load (?:config|tokenizer|the model|weights)[^']* for '(?P<name>[^']+)'"),
    re.compile(
        r"^We couldn't connect to '[^']+' to load this \w+.*? it looks like (?P<name>\S+) is not"
    ),
    re.compile(r"^(?P<name>\S+) is not a local folder and is not a valid model identifier"),
)


class ModelNotFoundError(RobustXltError):
    """A transformer that can be loaded neither from a local directory nor from the hub."""

    def __init__(self, name: str) -> None:
        super().__init__(
            f"cannot load the transformer {name!r}: it is not a local model directory and the "
            "Hugging Face hub is not reachable from here. Point XLT_TRANSFORMER (for the "
            "training configs) or the model argument at a local copy of the model: a directory "
            "with its config.json, tokenizer files and weights (save_pretrained's output)"
        )
        self.name = name

    def __reduce__(self):  # type: ignore[override]
        return type(self), (self.name,)


# transformers 4.20 without network and without HF_HUB_OFFLINE: the message names no model.
_HUB_UNREACHABLE = "Connection error, and we cannot find the requested files in the cached path"


def _model_name_in_traceback(error: BaseException) -> Optional[str]:
    """The `pretrained_model_name_or_path` of the innermost `from_pretrained` on the traceback."""
    name = None
    traceback = error.__traceback__
    while traceback is not None:
        value = traceback.tb_frame.f_locals.get("pretrained_model_name_or_path")
        if isinstance(value, (str, os.PathLike)):
            name = str(value)
        traceback = traceback.tb_next
    return name


# jsonnet's errors (a config's `error '...'`, an undefined variable, a syntax error): the message,
# then one tab-indented frame per line, the config the user gave last.
_JSONNET_ERROR = re.compile(r"^(?:RUNTIME|STATIC) ERROR: (?P<message>[^\n]*)")
_JSONNET_FRAME = re.compile(r"^\t(?P<path>[^\t]+?):(?P<line>\d+):")


def _jsonnet_error(text: str) -> Optional[RobustXltError]:
    """One line for a jsonnet error: the message, at the outermost frame (the user's config)."""
    match = _JSONNET_ERROR.match(text)
    if match is None:
        return None
    frames = [_JSONNET_FRAME.match(line) for line in text.splitlines()[1:]]
    located = [frame for frame in frames if frame is not None]
    if not located:
        return RobustXltError(f"config: {match.group('message')}")
    return InputFileError(
        located[-1].group("path"), int(located[-1].group("line")), match.group("message")
    )


def translate_known_error(error: BaseException) -> Optional[RobustXltError]:
    """Our one-line error for a third-party error with a known user-side cause, else None."""
    if isinstance(error, RuntimeError):
        jsonnet = _jsonnet_error(str(error))
        if jsonnet is not None:
            return jsonnet
    if isinstance(error, OSError):
        for pattern in _UNLOADABLE_MODEL:
            match = pattern.match(str(error))
            if match:
                return ModelNotFoundError(match.group("name"))
    if isinstance(error, ValueError) and str(error).startswith(_HUB_UNREACHABLE):
        return ModelNotFoundError(_model_name_in_traceback(error) or "(unnamed)")
    return None


def _find_user_error(error: Optional[BaseException]) -> Optional[RobustXltError]:
    """
    Our error, also when it arrives wrapped (e.g. re-raised by a data-loader worker), or the
    translation of a known third-party error (`translate_known_error`).
    """
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, RobustXltError):
            return error
        translated = translate_known_error(error)
        if translated is not None:
            return translated
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return None


class _ShortUserErrorFilter(logging.Filter):
    """
    `allennlp train` replaces `sys.excepthook` with one that logs "Uncaught exception" with the
    traceback on the root logger (to stderr and `out.log`). This filter, on the root logger
    itself (AllenNLP replaces the handlers, not the logger's filters), shortens such records to
    the message of our error.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and not os.environ.get("ROBUST_XLT_TRACEBACK"):
            user_error = _find_user_error(record.exc_info[1])
            if user_error is not None:
                record.msg, record.args = "error: %s", (user_error,)
                record.exc_info, record.exc_text = None, None
                if (
                    record.levelno >= logging.CRITICAL
                ):  # allennlp train's excepthook: the program ends
                    remove_failed_serialization_dir()
        return True


def install_excepthook() -> None:
    """Print our errors as `error: <message>` (no traceback) when they end the program."""
    root_logger = logging.getLogger()
    if not any(isinstance(f, _ShortUserErrorFilter) for f in root_logger.filters):
        root_logger.addFilter(_ShortUserErrorFilter())
    previous_hook = sys.excepthook
    if getattr(previous_hook, "_robust_xlt", False):
        return

    def hook(
        exc_type: Type[BaseException], exc: BaseException, tb: Optional[TracebackType]
    ) -> None:
        user_error = _find_user_error(exc)
        if user_error is None or os.environ.get("ROBUST_XLT_TRACEBACK"):
            previous_hook(exc_type, exc, tb)
            return
        remove_failed_serialization_dir()
        print(f"error: {user_error}", file=sys.stderr)

    hook._robust_xlt = True  # type: ignore[attr-defined]
    sys.excepthook = hook
