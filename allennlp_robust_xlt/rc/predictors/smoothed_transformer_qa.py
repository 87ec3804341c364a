from collections import Counter
from typing import Any, Dict, List, Tuple

from allennlp.common.util import JsonDict, sanitize
from allennlp.data import DatasetReader, Instance
from allennlp.models import Model
from allennlp.predictors.predictor import Predictor

from allennlp_robust_xlt.common.errors import ParameterError, check_int
from allennlp_robust_xlt.data.dataset_readers.randomized_smoothing import RandomizedSmoothingReader
from allennlp_robust_xlt.data.reader_calls import TextArguments, TextToInstanceCall
from allennlp_robust_xlt.evaluation.smoothed_predictor import SmoothedPredictor
from allennlp_robust_xlt.data.synonyms import (
    MATCH_MODES,
    NeighborTable,
    SynonymSubstitution,
    copy_random,
)
from allennlp_robust_xlt.rc.predictors.xtreme_transformer_qa import (
    XtremeTransformerQAPredictor,
    question_call_arguments,
)
from allennlp_robust_xlt.rc.tools.answer_preserving_substitution import substitute_context

NAME = "smoothed_transformer_qa"


@Predictor.register(NAME)
class SmoothedTransformerQAPredictor(SmoothedPredictor, XtremeTransformerQAPredictor):
    """
    Registered as a `Predictor` with name "smoothed_transformer_qa".

    Randomized smoothing for extractive QA: answers each question on `copies` copies whose
    question and context words are drawn from the RS-DA substitution law
    (`allennlp_robust_xlt/data/synonyms.py`), maps each copy's answer back to the original
    context (a substituted word maps to the whole original word,
    `rc/tools/answer_preserving_substitution.py`), and returns the most frequent answer string;
    on a tie, the tied answer of the earliest copy. Input as for `xtreme_transformer_qa`. Output
    per line: `id` (when given), `answer`, `answer_start` (its offset in the original context),
    `vote_share` (the fraction of copies that gave it) and `votes` (answer -> count)::

        allennlp predict model.tar.gz questions.jsonl --include-package allennlp_robust_xlt \\
            --predictor smoothed_transformer_qa \\
            --predictor-args '{"neighbors": "neighbors.json", "copies": 10, "seed": 0}'

    The copies of a question depend only on `seed` and its question and context texts.

    # Parameters

    model, dataset_reader, frozen
        As for every `Predictor` (set by `allennlp predict`).
    neighbors : `str`
        Path or URL of the JSON neighbour table of the input language.
    copies : `int`, optional (default = `10`)
    seed : `int`, optional (default = `0`)
    match : `str`, optional (default = `"exact"`)
        `"exact"` or `"normalized"`, as for the `randomized_smoothing` reader.
    include_original : `bool`, optional (default = `False`)
        Let the clean question vote too (first, so it wins ties).
    batch_size : `int`, optional (default = `64`)
        Copies per forward pass.
    """

    NAME = NAME

    def __init__(  # the answers are voted on here, not by SmoothedPredictor's SmoothedVoter
        self,
        model: Model,
        dataset_reader: DatasetReader,
        frozen: bool = True,
        neighbors: str = None,  # type: ignore[assignment]
        copies: int = 10,
        seed: int = 0,
        match: str = "exact",
        include_original: bool = False,
        batch_size: int = 64,
    ) -> None:
        while isinstance(dataset_reader, RandomizedSmoothingReader):
            dataset_reader = dataset_reader.base_reader
        XtremeTransformerQAPredictor.__init__(self, model, dataset_reader, frozen)
        if not neighbors:
            raise ParameterError(NAME, "neighbors", "is required (a JSON neighbour table)")
        if match not in MATCH_MODES:
            raise ParameterError(NAME, "match", f"must be one of {MATCH_MODES}, got {match!r}")
        self._copies = check_int(NAME, "copies", copies)
        self._batch_size = check_int(NAME, "batch_size", batch_size)
        self._seed = seed
        self._include_original = include_original
        self._substitution = SynonymSubstitution(NeighborTable.from_file(neighbors), match, NAME)
        self._text_arguments = TextArguments(dataset_reader, ["question", "context"], NAME)

    def predict_batch_json(self, inputs: List[JsonDict]) -> List[JsonDict]:
        owners: List[int] = []
        instances: List[Instance] = []
        back = []  # per copy: maps a span of the copy's context to the original context
        for position, json_dict in enumerate(inputs):
            arguments = question_call_arguments(json_dict)
            for question, substitution in self._copy_texts(arguments):
                copy_arguments = {**arguments, "question": question, "context": substitution.text}
                instance = self._dataset_reader.text_to_instance(**copy_arguments)
                self._dataset_reader.apply_token_indexers(instance)
                instances.append(instance)
                owners.append(position)
                back.append(substitution)
        answers: List[List[Tuple[str, int]]] = [[] for _ in inputs]
        for start in range(0, len(instances), self._batch_size):
            outputs = self._model.forward_on_instances(instances[start : start + self._batch_size])
            for offset, output in enumerate(outputs):
                index = start + offset
                answers[owners[index]].append(
                    _original_answer(back[index], output["answer"], int(output["answer_start"]))
                )
        return [self._vote(json_dict, votes) for json_dict, votes in zip(inputs, answers)]

    def _copy_texts(self, arguments: Dict[str, Any]) -> List[Tuple[str, Any]]:
        """`(question, context substitution)` of each voting copy."""
        key = self._text_arguments.content_key(TextToInstanceCall((), arguments))
        copies = []
        if self._include_original:
            copies.append(
                (arguments["question"], substitute_context(arguments["context"], [], list))
            )
        for copy in range(self._copies):
            rng = copy_random(self._seed, key, copy)

            def perturb(words: List[str]) -> List[str]:
                return self._substitution.perturb_words(words, rng)

            question = " ".join(perturb(arguments["question"].split(" ")))
            copies.append((question, substitute_context(arguments["context"], [], perturb)))
        return copies

    @staticmethod
    def _vote(inputs: JsonDict, answers: List[Tuple[str, int]]) -> JsonDict:
        counts = Counter(text for text, _ in answers)
        best = max(counts.values())
        text, start = next((text, start) for text, start in answers if counts[text] == best)
        result: Dict[str, Any] = {} if inputs.get("id") is None else {"id": str(inputs["id"])}
        result.update(
            answer=text, answer_start=start, vote_share=best / len(answers), votes=dict(counts)
        )
        return sanitize(result)


def _original_answer(substitution: Any, text: str, start: int) -> Tuple[str, int]:
    """A copy's answer as a span of the original context, stripped of surrounding whitespace."""
    if start < 0:
        return "", -1
    begin, end = substitution.original_span(start, start + len(text))
    span = substitution.original[begin:end]
    stripped = span.lstrip()
    begin += len(span) - len(stripped)
    return stripped.rstrip(), begin
