"""The extractive QA readers: XTREME's windows, gold positions, languages, stripped files."""

import copy
import json
from pathlib import Path
from typing import Any, Dict, List

import pytest
from allennlp.data import Instance
from transformers import BertTokenizer, XLMRobertaTokenizer
from transformers.data.processors import squad as transformers_squad

from allennlp_robust_xlt.common.errors import InputFileError
from allennlp_robust_xlt.data.dataset_readers import RandomizedSmoothingReader
from allennlp_robust_xlt.data.reader_calls import TextToInstanceCall, read_calls
from allennlp_robust_xlt.rc.dataset_readers import XtremeSQuADReader, XtremeXQuADReader
from allennlp_robust_xlt.rc.dataset_readers.squad_files import Answer, read_squad_file
from allennlp_robust_xlt.rc.tools.context_windows import window_starts
from tests import COUNTERFITTED_NEIGHBORS, XTREME_DATA

SQUAD_TRAIN = XTREME_DATA / "squad" / "train-v1.1.json"
MLQA_DEV = XTREME_DATA / "mlqa" / "MLQA_V1" / "dev"
SMALL = {"max_length": 48, "doc_stride": 16, "max_query_length": 12}


def reader(model: Path, **kwargs: Any) -> XtremeSQuADReader:
    return XtremeSQuADReader(str(model), **{**SMALL, **kwargs})


def window_ids(instance: Instance) -> List[List[int]]:
    return [[token.text_id for token in window.tokens] for window in instance["windows"]]


@pytest.mark.parametrize("style", ["bert", "xlmr"])
def test_windows_equal_xtremes_features(tiny_models: Dict[str, Path], style: str):
    """
    Expected values: transformers 4.20.1's `squad_convert_example_to_features` (the code of
    XTREME's `run_squad.py`), run here on the fixture's questions with the tiny tokenizers:
    the same windows, sub-word for sub-word; with BERT also the same training positions
    (transformers 4.20.1 puts XLM-R's positions one off, see rc/tools/context_windows.py).
    """
    tokenizer_class = BertTokenizer if style == "bert" else XLMRobertaTokenizer
    tokenizer = tokenizer_class.from_pretrained(str(tiny_models[style]))
    transformers_squad.squad_convert_example_to_features_init(tokenizer)
    qa_reader = reader(tiny_models[style])
    instances = list(qa_reader.read(str(SQUAD_TRAIN)))
    examples = read_squad_file(str(SQUAD_TRAIN))
    assert len(instances) == len(examples) == 8
    several = 0
    for instance, example in zip(instances, examples):
        answer = example.answers[0]
        squad_example = transformers_squad.SquadExample(
            example.question_id, example.question, example.context, answer.text, answer.start, "t"
        )
        features = transformers_squad.squad_convert_example_to_features(
            squad_example, SMALL["max_length"], SMALL["doc_stride"], SMALL["max_query_length"],
            "max_length", is_training=True,
        )  # fmt: skip
        expected = [
            [i for i, mask in zip(feature.input_ids, feature.attention_mask) if mask]
            for feature in features
        ]
        assert window_ids(instance) == expected, example.question_id
        if style == "bert":
            positions = [[feature.start_position, feature.end_position] for feature in features]
            assert instance["answer_spans"].tensor.tolist() == positions
        several += len(expected) > 1
    assert several >= 5  # the long paragraph has many windows


def test_doc_stride_is_the_step_between_windows(tiny_xlmr: Path):
    """Window k's context part starts at context sub-word k * doc_stride (not an overlap)."""
    qa_reader = reader(tiny_xlmr)
    instance = next(iter(qa_reader.read(str(SQUAD_TRAIN))))
    metadata = instance["metadata"].metadata
    context_ids, _ = qa_reader._context_subwords(metadata["context"])
    question_ids = qa_reader._hf_tokenizer(metadata["question"], add_special_tokens=False)
    question_length = min(len(question_ids["input_ids"]), SMALL["max_query_length"])
    prefix = 1 + question_length + 2  # <s> question </s></s>
    room = SMALL["max_length"] - prefix - 1
    starts = window_starts(len(context_ids), room, SMALL["doc_stride"])
    assert starts[:3] == [0, 16, 32] and room > SMALL["doc_stride"]
    windows = window_ids(instance)
    assert len(windows) == len(starts) > 3
    for start, ids in zip(starts, windows):
        assert ids[prefix:-1] == context_ids[start : start + room]
    # Every window is kept, with the first token as gold where the answer is not inside.
    spans = instance["answer_spans"].tensor.tolist()
    assert len(spans) == len(starts) and 0 < len(spans) - spans.count([0, 0]) <= 2


def test_gold_positions_cover_the_answer(tiny_xlmr: Path):
    for instance in reader(tiny_xlmr).read(str(SQUAD_TRAIN)):
        metadata = instance["metadata"].metadata
        answer = metadata["answers"][0]
        for (start, end), offsets in zip(
            instance["answer_spans"].tensor.tolist(), metadata["offsets"]
        ):
            if (start, end) == (0, 0):
                continue
            text = metadata["context"][offsets[start][0] : offsets[end][1]]
            assert text == answer, metadata["id"]


def test_question_is_cut_at_max_query_length(tiny_xlmr: Path):
    qa_reader = reader(tiny_xlmr, max_query_length=3)
    instance = qa_reader.text_to_instance("a very long question with many words", "Some context.")
    tokens = [token.text for token in instance["windows"][0].tokens]
    assert tokens[0] == "<s>" and tokens[4:6] == ["</s>", "</s>"]


def test_languages_and_scoring_come_from_the_file_name(tiny_xlmr: Path):
    qa_reader = reader(tiny_xlmr)
    cross = next(iter(qa_reader.read(str(MLQA_DEV / "dev-context-zh-question-de.json"))))
    metadata = cross["metadata"].metadata
    assert (metadata["question_language"], metadata["context_language"]) == ("de", "zh")
    assert metadata["language"] == "de-zh" and metadata["scoring"] == "mlqa"
    assert metadata["question"].startswith("Durch welche") and "巴西" in metadata["context"]
    xquad = next(iter(qa_reader.read(str(XTREME_DATA / "xquad" / "xquad.de.json"))))
    assert xquad["metadata"]["language"] == "de" and xquad["metadata"]["scoring"] == "squad"
    tydiqa = XTREME_DATA / "tydiqa" / "tydiqa-goldp-v1.1-dev" / "tydiqa.goldp.sw.dev.json"
    assert next(iter(qa_reader.read(str(tydiqa))))["metadata"]["language"] == "sw"


def test_files_of_other_names_take_the_language_parameter(tiny_xlmr: Path, tmp_path: Path):
    own = tmp_path / "my-questions.json"
    own.write_text((XTREME_DATA / "xquad" / "xquad.de.json").read_text(encoding="utf-8"))
    assert next(iter(reader(tiny_xlmr).read(str(own))))["metadata"]["language"] is None
    german = XtremeXQuADReader(str(tiny_xlmr), language="de", **SMALL)
    assert next(iter(german.read(str(own))))["metadata"]["language"] == "de"


def squad_document(path: Path) -> Dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def test_stripped_files_are_read_without_answers(tiny_xlmr: Path):
    path = XTREME_DATA / "mlqa" / "MLQA_V1" / "test" / "test-context-de-question-de.json"
    instances = list(reader(tiny_xlmr).read(str(path)))
    assert len(instances) == 3
    for instance in instances:
        assert "answer_spans" not in instance.fields
        assert instance["metadata"]["answers"] is None


def test_evaluation_windows_are_never_dropped(tiny_xlmr: Path, tmp_path: Path):
    """A stripped copy of the training file has the same windows (AllenNLP drops some)."""
    document = squad_document(SQUAD_TRAIN)
    for article in document["data"]:
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                qa["answers"] = [{"answer_start": 0, "text": ""}]
    stripped = tmp_path / "stripped.json"
    stripped.write_text(json.dumps(document))
    qa_reader = reader(tiny_xlmr)
    labelled = [len(i["windows"]) for i in qa_reader.read(str(SQUAD_TRAIN))]
    assert [len(i["windows"]) for i in qa_reader.read(str(stripped))] == labelled


def edited(document: Dict[str, Any], edit: Any) -> Dict[str, Any]:
    document = copy.deepcopy(document)
    edit(document["data"][0]["paragraphs"][0])
    return document


def set_answer_start(paragraph: Dict[str, Any]) -> None:
    paragraph["qas"][1]["answers"][0]["answer_start"] += 1


def drop(key: str) -> Any:
    return lambda paragraph: (
        paragraph.pop(key) if key == "context" else paragraph["qas"][0].pop(key)
    )


@pytest.mark.parametrize(
    "edit, problem",
    [
        (
            set_answer_start,
            "question sq-t2: answer_start 225 does not point at the answer '1870' (the context"
            " has '870 ' there)",
        ),
        (drop("context"), "question sq-t1: its paragraph 1 of article 1 has no 'context' text"),
        (lambda p: p.update(context="  "), "question sq-t1: empty context"),
        (drop("question"), "question sq-t1: missing or empty 'question'"),
        (lambda p: p["qas"][1].update(id="sq-t1"), "question sq-t1: the id appears twice"),
        (
            lambda p: p["qas"][2].update(answers=[]),
            "question sq-t3: no answer text, while other questions of the file have answers (a"
            " file is either labelled or stripped of all its answers, as XTREME's test files)",
        ),
        (
            drop("id"),
            "a question of paragraph 1 of article 1 has no string 'id': {'question': 'When was"
            " Springfield founded?', 'answers': [{'answer_start': 39, '",
        ),
    ],
)
def test_bad_questions_name_the_file_and_the_question(
    tiny_xlmr: Path, tmp_path: Path, edit: Any, problem: str
):
    bad = tmp_path / "train-v1.1.json"
    bad.write_text(json.dumps(edited(squad_document(SQUAD_TRAIN), edit)))
    with pytest.raises(InputFileError) as error:
        list(reader(tiny_xlmr).read(str(bad)))
    assert str(error.value) == f"{bad}: {problem}"


def test_a_question_longer_than_the_window(tiny_xlmr: Path):
    qa_reader = reader(tiny_xlmr, max_length=40, doc_stride=16, max_query_length=64)
    long_question = " ".join(["a"] * 30)  # one sub-word per word
    with pytest.raises(InputFileError) as error:
        qa_reader.text_to_instance(long_question, "A context.", question_id="q7", source="q.json")
    assert str(error.value) == (
        "q.json: question q7: its 30 sub-words (cut at max_query_length 64) leave 6 context"
        " sub-words per window of max_length 40, fewer than doc_stride 16: the question is"
        " longer than the window allows"
    )


def test_bert_windows_have_type_ids(tiny_bert: Path):
    instance = reader(tiny_bert).text_to_instance("Who?", "Marie Curie won.")
    tokens = instance["windows"][0].tokens
    texts = [token.text for token in tokens]
    assert texts[0] == "[CLS]" and texts[-1] == "[SEP]" and texts.count("[SEP]") == 2
    first_part = texts.index("[SEP]") + 1
    assert [token.type_id for token in tokens] == [0] * first_part + [1] * (
        len(tokens) - first_part
    )


def test_rs_da_keeps_every_answer_at_its_moved_offset(tiny_xlmr: Path):
    """
    RS-DA on QA with the reference's counter-fitted table (the tests' subset): in every copy, every answer's text
    is at its (moved) offset in the perturbed context, words outside the answers change, and
    the copies' gold windows cover the answer.
    """
    base = reader(tiny_xlmr)
    smoothing = RandomizedSmoothingReader(
        base_reader=base, neighbors=str(COUNTERFITTED_NEIGHBORS), copies=4, seed=3
    )
    calls = list(read_calls(base, str(SQUAD_TRAIN)))
    changed = 0
    for example, call in enumerate(calls):
        for copy_index in range(4):
            perturbed = smoothing.perturb_call(call, example, copy_index)
            context, answers = perturbed.kwargs["context"], perturbed.kwargs["answers"]
            for answer in answers:
                assert context[answer.start : answer.start + len(answer.text)] == answer.text
            changed += context != call.args[1]
            assert perturbed.kwargs["question_id"] == call.kwargs["question_id"]
    assert changed >= 0.9 * 4 * len(calls)
    instances = list(smoothing.read(str(SQUAD_TRAIN)))
    assert len(instances) == 4 * len(calls)
    for instance in instances:
        metadata = instance["metadata"].metadata
        for (start, end), offsets in zip(
            instance["answer_spans"].tensor.tolist(), metadata["offsets"]
        ):
            if (start, end) != (0, 0):
                assert (
                    metadata["context"][offsets[start][0] : offsets[end][1]]
                    == metadata["answers"][0]
                )


def test_rs_da_perturbs_question_and_context_but_no_answer(tiny_xlmr: Path):
    """A table that knows every word of a question: all change except the answer's words."""
    words = "When did the railway reach town ? Springfield was founded in 1870 by farmers"
    table = {word: [word.upper() + "!"] for word in words.split()}
    rewritten = reader(tiny_xlmr).rewrite_text_arguments(
        read_call("When did the railway reach town ?", "Springfield was founded in 1870 by farmers",
                  [Answer("in 1870", 24)]),
        lambda ws: [table[w][0] if w in table else w for w in ws],
    )  # fmt: skip
    assert rewritten.kwargs["question"] == "WHEN! DID! THE! RAILWAY! REACH! TOWN! ?!"
    assert rewritten.kwargs["context"] == "SPRINGFIELD! WAS! FOUNDED! in 1870 BY! FARMERS!"
    assert rewritten.kwargs["answers"] == [Answer("in 1870", 27)]


def read_call(question: str, context: str, answers: List[Answer]) -> TextToInstanceCall:
    return TextToInstanceCall((question, context, answers), {"question_id": "q"})
