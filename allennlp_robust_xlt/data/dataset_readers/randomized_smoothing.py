"""
Randomized smoothing by data augmentation (RS-DA) as a dataset reader that wraps another one.

How it reads (see `allennlp_robust_xlt/data/reader_calls.py` for the mechanism):

1. The base reader's `_read` runs with its `text_to_instance` recorded instead of executed, so it
   parses and validates its files as usual but tokenizes nothing; each example becomes the
   arguments of one `text_to_instance` call. Its own sharding is switched off.
2. The wrapper enumerates the units `(example, copy)` copy by copy (all examples for copy 0,
   then all for copy 1, ...; the clean originals first when `include_original`) and shards the
   units with its own `shard_iterable`, so each worker and each distributed rank builds a
   disjoint share of them and, together, every unit exactly once per epoch.
3. For its units, a worker perturbs the text arguments of the call (both sentences of a pair,
   independently) with a generator derived from `(seed, example index, copy index)` alone, and
   builds the instance with the base reader's real `text_to_instance`. It does so a chunk of
   units at a time: the chunk's calls are perturbed first and their texts handed to the base
   reader's batched tokenizer, if it has one (`data/batched_tokenization.py`: the pair readers),
   which then encodes them all in one call. Labels, languages and the rest of the call are
   unchanged; a `metadata` field that is a dict also gets `"randomized_smoothing": {"example":
   index, "copy": copy index, or None for the original}`.

So nothing is written to disk, the reader holds one chunk of units at a time (memory does not grow with
`copies`), each instance is tokenized once, and the same seed gives the same copies with any
number of workers or ranks. Each pass over the units re-parses the base reader's files (cheap
next to tokenization). The copy-major order means that a data loader that keeps only a window
of `max_instances_in_memory` instances still sees distinct examples in each window.
"""

import logging
from typing import Any, Iterable, Iterator, List, Optional, Tuple

from allennlp.data.dataset_readers.dataset_reader import DatasetReader, DistributedInfo, WorkerInfo
from allennlp.data.fields import MetadataField
from allennlp.data.instance import Instance

from allennlp_robust_xlt.common.errors import ParameterError, check_int
from allennlp_robust_xlt.data.batched_tokenization import CHUNK_SIZE, chunks, prefetch_texts
from allennlp_robust_xlt.data.reader_calls import (
    TextArguments,
    TextToInstanceCall,
    build_instance,
    read_calls,
)
from allennlp_robust_xlt.data.synonyms import (
    MATCH_MODES,
    NeighborTable,
    SynonymSubstitution,
    copy_random,
)

logger = logging.getLogger(__name__)

NAME = "randomized_smoothing"


@DatasetReader.register(NAME)
class RandomizedSmoothingReader(DatasetReader):
    """
    Registered as a `DatasetReader` with name "randomized_smoothing".

    Produces `copies` synonym-perturbed copies of every example of `base_reader` (RS-DA of
    Huang et al., 2021, with the reference's substitution law, see
    `allennlp_robust_xlt/data/synonyms.py`). Use it as the training reader only, and set
    `validation_dataset_reader` to the plain base reader so that validation, `allennlp evaluate`
    and `allennlp predict` see clean text.

    Works with any reader whose `_read` builds instances with `self.text_to_instance(...)` and
    whose `text_to_instance` takes the text as string (or word-list) arguments: our
    `xtreme_xnli` / `xtreme_pawsx` (arguments `premise`, `hypothesis`), AllenNLP's
    `text_classification_json` (`text`), allennlp-models' `snli` (`premise`, `hypothesis`), ...
    The text is perturbed before tokenization, exactly as the reference perturbs its training
    file, so any tokenizer (wordpieces included) sees well-formed words.

    # Parameters

    base_reader : `DatasetReader`
        The reader of the clean data, e.g. `{"type": "xtreme_xnli", ...}`.
    neighbors : `str`
        Path or URL (read through `cached_path`) of a JSON neighbour table
        `{word: [neighbour, ...]}` (the reference's `counterfitted_neighbors.json`, or one from
        `allennlp build-neighbors`).
    copies : `int`
        Perturbed copies per example (the reference: 3 for XNLI, 10 for PAWS-X). At least 1.
    include_original : `bool`, optional (default = `False`)
        Also yield each clean example once (the reference does not).
    seed : `int`, optional (default = `0`)
        Copy `c` of example `i` is drawn from a generator seeded with `(seed, i, c)` only.
    match : `str`, optional (default = `"exact"`)
        `"exact"`: the reference's whitespace split and exact, case-sensitive lookup.
        `"normalized"`: also matches words with attached punctuation or another case
        (`movie,`, `Movie`) and restores both in the output.
    text_arguments : `List[str]`, optional
        Names of the parameters of the base reader's `text_to_instance` that hold text. By
        default those named `premise`, `hypothesis`, `sentence1`, `sentence2`, `text`,
        `sentence`, `question` or `passage`.
    **kwargs
        `max_instances` (counts produced instances; the base reader's own `max_instances`
        counts examples) and the other `DatasetReader` parameters.
    """

    def __init__(
        self,
        base_reader: DatasetReader,
        neighbors: str,
        copies: int,
        include_original: bool = False,
        seed: int = 0,
        match: str = "exact",
        text_arguments: Optional[List[str]] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            manual_distributed_sharding=True, manual_multiprocess_sharding=True, **kwargs
        )
        check_int(NAME, "copies", copies)
        if match not in MATCH_MODES:
            raise ParameterError(
                NAME, "match", f"must be one of {', '.join(map(repr, MATCH_MODES))}, got {match!r}"
            )
        self.base_reader = base_reader
        # The wrapper shards; the base reader reads as if it were alone.
        self.base_reader._set_worker_info(None)
        self.base_reader._set_distributed_info(None)
        self.copies = copies
        self.include_original = include_original
        self.seed = seed
        self.neighbors = str(neighbors)
        self.substitution = SynonymSubstitution(
            NeighborTable.from_file(self.neighbors), match, component=NAME
        )
        self.text_arguments = TextArguments(base_reader, text_arguments, component=NAME)

    # -- reading ---------------------------------------------------------------------------

    def _read(self, file_path: Any) -> Iterator[Instance]:
        # Each chunk of this shard's units is perturbed first, so that a base reader that
        # tokenizes in batches (`data/batched_tokenization.py`) encodes all of its texts at once.
        for units in chunks(self.shard_iterable(self._units(file_path)), CHUNK_SIZE):
            calls = [
                (example, copy, call if copy is None else self.perturb_call(call, example, copy))
                for example, copy, call in units
            ]
            self.prefetch(call for _, _, call in calls)
            for example, copy, call in calls:
                instance = self._built(call, example, copy)
                if instance is not None:
                    yield instance

    def prefetch(self, calls: Iterable[TextToInstanceCall]) -> None:
        """
        Hands a chunk of (perturbed) calls to the base reader before they are built: to its
        `prefetch_examples` (the tagging, QA and multiple-choice readers), as `text_to_instance`
        keyword arguments, or else their texts to its batched tokenizer (the pair readers).
        """
        prefetch_examples = getattr(self.base_reader, "prefetch_examples", None)
        if callable(prefetch_examples):
            signature = self.text_arguments.signature
            examples = []
            for call in calls:
                try:
                    examples.append(dict(signature.bind(*call.args, **call.kwargs).arguments))
                except TypeError:
                    continue  # `text_to_instance` raises it in its place
            prefetch_examples(examples)
            return
        prefetch_texts(
            self.base_reader,
            (text for call in calls for text in self.text_arguments.texts(call).values()),
        )

    def _units(self, file_path: Any) -> Iterator[Tuple[int, Optional[int], TextToInstanceCall]]:
        """`(example index, copy index or None for the original, call)`, copy-major."""
        passes: List[Optional[int]] = [None] if self.include_original else []
        passes.extend(range(self.copies))
        for copy in passes:
            for example, call in enumerate(read_calls(self.base_reader, file_path, component=NAME)):
                yield example, copy, call

    def perturb_call(self, call: TextToInstanceCall, example: int, copy: int) -> TextToInstanceCall:
        """Copy `copy` of example `example`: the call with its text arguments perturbed."""
        rng = copy_random(self.seed, example, copy)
        return self.text_arguments.rewrite(
            call, lambda words: self.substitution.perturb_words(words, rng)
        )

    def _built(
        self, call: TextToInstanceCall, example: int, copy: Optional[int]
    ) -> Optional[Instance]:
        """The base reader's instance of `call` (already perturbed), marked with its unit."""
        instance = build_instance(self.base_reader, call)
        if instance is not None:
            metadata = instance.fields.get("metadata")
            if isinstance(metadata, MetadataField) and isinstance(metadata.metadata, dict):
                metadata.metadata[NAME] = {"example": example, "copy": copy}
        return instance

    # -- delegation ------------------------------------------------------------------------

    def text_to_instance(self, *inputs: Any, **kwargs: Any) -> Instance:  # type: ignore[override]
        """A clean instance from the base reader (predictors use this)."""
        return build_instance(self.base_reader, TextToInstanceCall(inputs, kwargs))  # type: ignore[return-value]

    def apply_token_indexers(self, instance: Instance) -> None:
        self.base_reader.apply_token_indexers(instance)

    def _set_worker_info(self, info: Optional[WorkerInfo]) -> None:
        super()._set_worker_info(info)
        self.base_reader._set_worker_info(None)

    def _set_distributed_info(self, info: Optional[DistributedInfo]) -> None:
        super()._set_distributed_info(info)
        self.base_reader._set_distributed_info(None)
