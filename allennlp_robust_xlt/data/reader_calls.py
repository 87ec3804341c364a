"""
A dataset reader's examples as the raw arguments of its `text_to_instance`, without tokenizing.

AllenNLP readers build their instances with `self.text_to_instance(...)` from inside `_read`
(the convention that predictors rely on too). Randomized smoothing needs each example's raw
text, several times, and must not tokenize the clean example only to throw it away. So, while
`recording_calls(reader)` is active, the reader's `text_to_instance` does not build an instance
but returns the `TextToInstanceCall` it was given, and its `shard_iterable` passes everything
through (the caller shards). `read_calls(reader, path)` thus yields one call per example, in the
reader's order, with the reader's own file parsing and validation (bad lines still fail with
their file and line), at the cost of parsing only. `build_instance` later turns a (perturbed)
call into an instance with the reader's real `text_to_instance`.

Both replacements are attributes of the reader object (never of its class), present only while
a recording is active (recordings may nest), and removed when the last one ends. AllenNLP's data
loaders hand the reader to their workers before reading, never during a recording.

`TextArguments` knows which arguments of a reader's `text_to_instance` hold text, and rewrites
them in a call.
"""

import hashlib
import inspect
import itertools
import json
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import (
    Any,
    Callable,
    Dict,
    Iterable,
    Iterator,
    List,
    Optional,
    Sequence,
    Tuple,
    TypeVar,
    Union,
)
from weakref import WeakKeyDictionary

from allennlp.data.dataset_readers.dataset_reader import DatasetReader
from allennlp.data.instance import Instance

from allennlp_robust_xlt.common.errors import ParameterError

_T = TypeVar("_T")

# Argument names that hold text in AllenNLP's and allennlp-models' readers and in ours.
DEFAULT_TEXT_ARGUMENTS = (
    "premise",
    "hypothesis",
    "sentence1",
    "sentence2",
    "text",
    "sentence",
    "question",
    "passage",
    "context",
)


@dataclass(frozen=True)
class TextToInstanceCall:
    """The arguments one call of `reader.text_to_instance` was given."""

    args: Tuple[Any, ...]
    kwargs: Dict[str, Any] = field(default_factory=dict)


def _record(*args: Any, **kwargs: Any) -> TextToInstanceCall:
    return TextToInstanceCall(args, kwargs)


def _no_sharding(iterable: Iterable[_T]) -> Iterator[_T]:
    return iter(iterable)


_ACTIVE: "WeakKeyDictionary[DatasetReader, int]" = WeakKeyDictionary()


@contextmanager
def recording_calls(reader: DatasetReader) -> Iterator[None]:
    """While active, `reader.text_to_instance` returns its arguments and `shard_iterable` does nothing."""
    depth = _ACTIVE.get(reader, 0)
    if depth == 0:
        for name in ("text_to_instance", "shard_iterable"):
            if name in vars(reader):
                raise RuntimeError(
                    f"{type(reader).__name__} has an instance attribute {name!r}; cannot record it"
                )
        reader.text_to_instance = _record  # type: ignore[assignment]
        reader.shard_iterable = _no_sharding  # type: ignore[assignment]
    _ACTIVE[reader] = depth + 1
    try:
        yield
    finally:
        _ACTIVE[reader] -= 1
        if _ACTIVE[reader] == 0:
            del _ACTIVE[reader]
            del reader.text_to_instance
            del reader.shard_iterable


def is_recording(reader: DatasetReader) -> bool:
    """
    Whether `reader` is inside `recording_calls`: its `text_to_instance` then builds nothing, so
    a reader that prepares work for it (e.g. tokenizes a chunk of texts at once) can skip that.
    """
    return reader in _ACTIVE


def read_calls(
    reader: DatasetReader, file_path: Any, component: str = "randomized_smoothing"
) -> Iterator[TextToInstanceCall]:
    """
    One `TextToInstanceCall` per example that `reader._read(file_path)` would build, unsharded,
    limited to the reader's `max_instances`.
    """
    with recording_calls(reader):
        items = reader._read(file_path)
        if reader.max_instances is not None:
            items = itertools.islice(items, reader.max_instances)
        for item in items:
            if item is None:
                continue
            if not isinstance(item, TextToInstanceCall):
                raise ParameterError(
                    component,
                    "base_reader",
                    f"{type(reader).__name__} builds its instances without calling text_to_instance"
                    f" (its _read yielded a {type(item).__name__}); randomized smoothing needs the"
                    " raw text of each example, so it works with readers whose _read yields"
                    " self.text_to_instance(...)",
                )
            yield item


def record_call(reader: DatasetReader, build: Callable[[], Any]) -> TextToInstanceCall:
    """The call that `build()` makes to `reader.text_to_instance` (e.g. a predictor's `_json_to_instance`)."""
    with recording_calls(reader):
        call = build()
    if not isinstance(call, TextToInstanceCall):
        raise TypeError(f"expected a recorded text_to_instance call, got {type(call).__name__}")
    return call


def build_instance(reader: DatasetReader, call: TextToInstanceCall) -> Optional[Instance]:
    """`reader.text_to_instance(*call.args, **call.kwargs)` with the class's real method."""
    return type(reader).text_to_instance(reader, *call.args, **call.kwargs)


class TextArguments:
    """
    The text arguments of `reader.text_to_instance`, bound by name whether a call passes them
    by position or by keyword.

    # Parameters

    reader : `DatasetReader`
    names : `Sequence[str]`, optional
        Parameter names of `text_to_instance` that hold text (a `str`, or a list of words). By
        default, those the reader's class declares in `TEXT_ARGUMENTS`, else those of its
        parameters named like `DEFAULT_TEXT_ARGUMENTS`.
    component : `str`
        The user's component, for error messages.
    """

    def __init__(
        self, reader: DatasetReader, names: Optional[Sequence[str]], component: str
    ) -> None:
        self.reader_name = type(reader).__name__
        # A reader whose texts must change together (QA: answer offsets move with the context)
        # rewrites its own calls: `reader.rewrite_text_arguments(call, perturb_words) -> call`.
        self._reader_rewrite: Optional[Callable[..., TextToInstanceCall]] = getattr(
            reader, "rewrite_text_arguments", None
        )
        self.component = component
        method = type(reader).text_to_instance.__get__(reader, type(reader))
        self.signature = inspect.signature(method)
        parameters = [
            name
            for name, parameter in self.signature.parameters.items()
            if parameter.kind not in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD)
        ]
        shown = f"{self.reader_name}.text_to_instance({', '.join(parameters)})"
        if names is None:
            # A reader may declare its text arguments (class attribute `TEXT_ARGUMENTS`).
            defaults = getattr(type(reader), "TEXT_ARGUMENTS", None) or DEFAULT_TEXT_ARGUMENTS
            self.names = [name for name in parameters if name in defaults]
            if not self.names:
                raise ParameterError(
                    component,
                    "text_arguments",
                    f"must name the text parameters of {shown}: none of them has a known text name",
                )
        else:
            self.names = list(names)
            unknown = [name for name in self.names if name not in parameters]
            if not self.names or unknown:
                raise ParameterError(
                    component,
                    "text_arguments",
                    f"must name parameters of {shown}, got {list(names)}",
                )

        # Where each text argument sits in a call: its keyword, or else its position.
        self._positions: Dict[str, Optional[int]] = {}
        for name in self.names:
            kind = self.signature.parameters[name].kind
            positional = kind in (
                inspect.Parameter.POSITIONAL_ONLY,
                inspect.Parameter.POSITIONAL_OR_KEYWORD,
            )
            self._positions[name] = (
                list(self.signature.parameters).index(name) if positional else None
            )

    def texts(self, call: TextToInstanceCall) -> Dict[str, Union[str, List[str], None]]:
        """The values of the text arguments in `call` (`None` when not given)."""
        texts: Dict[str, Union[str, List[str], None]] = {}
        for name, position in self._positions.items():
            if name in call.kwargs:
                texts[name] = call.kwargs[name]
            elif position is not None and position < len(call.args):
                texts[name] = call.args[position]
            else:
                texts[name] = None
        return texts

    def rewrite(
        self, call: TextToInstanceCall, perturb_words: Callable[[List[str]], List[str]]
    ) -> TextToInstanceCall:
        """
        The call with each text argument rewritten: a string is split on single spaces, its
        words passed to `perturb_words` and joined again; a list of words is passed as is. A
        reader with a `rewrite_text_arguments` method rewrites the call itself instead.
        """
        if self._reader_rewrite is not None:
            return self._reader_rewrite(call, perturb_words)
        args = list(call.args)
        kwargs = dict(call.kwargs)
        for name, position in self._positions.items():
            if name in kwargs:
                kwargs[name] = self._rewritten(name, kwargs[name], perturb_words)
            elif position is not None and position < len(args):
                args[position] = self._rewritten(name, args[position], perturb_words)
        return TextToInstanceCall(tuple(args), kwargs)

    def _rewritten(
        self, name: str, value: Any, perturb_words: Callable[[List[str]], List[str]]
    ) -> Any:
        if value is None:
            return None
        if isinstance(value, str):
            return " ".join(perturb_words(value.split(" ")))
        if isinstance(value, (list, tuple)) and all(isinstance(word, str) for word in value):
            return type(value)(perturb_words(list(value)))
        raise ParameterError(
            self.component,
            "text_arguments",
            f"argument {name!r} of {self.reader_name}.text_to_instance must be a string or a list"
            f" of strings to be perturbed, got {type(value).__name__}",
        )

    def replace_words(
        self, call: TextToInstanceCall, words: Dict[str, List[str]]
    ) -> TextToInstanceCall:
        """
        The call with the text arguments named in `words` replaced by these words (joined with
        single spaces where the argument is a string); the others unchanged.
        """
        args = list(call.args)
        kwargs = dict(call.kwargs)
        for name, position in self._positions.items():
            if name not in words:
                continue
            if name in kwargs:
                kwargs[name] = self._rewritten(name, kwargs[name], lambda _: words[name])
            elif position is not None and position < len(args):
                args[position] = self._rewritten(name, args[position], lambda _: words[name])
        return TextToInstanceCall(tuple(args), kwargs)

    def argument(self, call: TextToInstanceCall, name: str) -> Any:
        """The value of any argument `name` of `text_to_instance` in `call` (`None` if not given)."""
        if name not in self.signature.parameters:
            return None
        return self.signature.bind_partial(*call.args, **call.kwargs).arguments.get(name)

    def content_key(self, call: TextToInstanceCall) -> str:
        """
        A digest of the call's text arguments (only: the same texts get the same key whether or
        not a label or languages come along), stable across processes.
        """
        canonical = json.dumps(self.texts(call), sort_keys=True, ensure_ascii=False)
        return hashlib.sha1(canonical.encode("utf-8")).hexdigest()[:20]
