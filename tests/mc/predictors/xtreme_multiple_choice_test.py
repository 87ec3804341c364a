"""The `xtreme_multiple_choice` predictor on an in-memory model (the archive path: two_stage_test)."""

from pathlib import Path

import pytest
import torch
from allennlp.data import Vocabulary
from allennlp.data.dataset_readers import TextClassificationJsonReader
from allennlp.data.tokenizers import WhitespaceTokenizer
from allennlp.training.metrics import CategoricalAccuracy

from allennlp_robust_xlt.common.errors import InputFileError, ParameterError
from allennlp_robust_xlt.mc.dataset_readers import XtremeSiqaReader, XtremeXcopaReader
from allennlp_robust_xlt.mc.predictors import XtremeMultipleChoicePredictor
from tests.mc.models.xtreme_multiple_choice_test import build, reader_kwargs

COPA = {
    "premise": "The road was wet.",
    "choice1": "It rained.",
    "choice2": "It was sunny.",
    "question": "cause",
}


def test_predictions_in_xtremes_format(tiny_xlmr: Path):
    model = build(tiny_xlmr, Vocabulary()).eval()
    predictor = XtremeMultipleChoicePredictor(model, XtremeXcopaReader(**reader_kwargs(tiny_xlmr)))
    outputs = predictor.predict_batch_json([{**COPA, "label": 1, "idx": 4}, {**COPA, "id": "q2"}])
    assert [output["id"] for output in outputs] == [4, "q2"]
    for output in outputs:
        assert len(output["probs"]) == 2 and output["label"] == max(
            (0, 1), key=output["probs"].__getitem__
        )
    assert predictor.predict_json(COPA)["probs"] == pytest.approx(outputs[1]["probs"])
    siqa = XtremeMultipleChoicePredictor(model, XtremeSiqaReader(**reader_kwargs(tiny_xlmr)))
    answer = siqa.predict_json(
        {
            "context": "Kim ate.",
            "question": "Why?",
            "answerA": "hungry",
            "answerB": "bored",
            "answerC": "tired",
        }
    )
    assert len(answer["probs"]) == 3 and "id" not in answer


def test_bad_input_is_one_line(tiny_xlmr: Path):
    model = build(tiny_xlmr, Vocabulary()).eval()
    predictor = XtremeMultipleChoicePredictor(model, XtremeXcopaReader(**reader_kwargs(tiny_xlmr)))
    with pytest.raises(InputFileError, match=r"^prediction input: missing the field 'choice2'"):
        predictor.predict_json({k: v for k, v in COPA.items() if k != "choice2"})
    with pytest.raises(ParameterError, match="must be a multiple-choice reader"):
        XtremeMultipleChoicePredictor(
            model, TextClassificationJsonReader(tokenizer=WhitespaceTokenizer())
        )


def test_ties_and_rounded_ties_are_decided_as_the_accuracy_decides(tiny_xlmr: Path):
    """XCOPA's example 273: `"probs": [0.5, 0.5]` from two logits that differ; the predictor
    picks the larger logit, as `accuracy` (and `xtreme-report`) does; an exact tie of logits
    goes to the first choice in both."""
    logits = torch.tensor([[0.0, 1e-8], [0.5, 0.5]])
    model = build(tiny_xlmr, Vocabulary()).eval()
    forward = model.forward

    def fixed(*args, **kwargs):
        output = forward(*args, **kwargs)
        output["logits"] = logits[: output["logits"].size(0)].clone()
        output["probs"] = torch.softmax(output["logits"], dim=-1)
        return output

    model.forward = fixed
    predictor = XtremeMultipleChoicePredictor(model, XtremeXcopaReader(**reader_kwargs(tiny_xlmr)))
    outputs = predictor.predict_batch_json([COPA, {**COPA, "premise": "The grass was wet."}])
    assert outputs[0]["probs"] == [0.5, 0.5]
    assert [output["label"] for output in outputs] == [1, 0]
    metric = CategoricalAccuracy()
    metric(logits, torch.tensor([1, 0]))
    assert metric.get_metric() == 1.0
