from typing import Any, Dict, List, Optional

import torch
from allennlp.data import Vocabulary
from allennlp.models.model import Model
from allennlp.modules import TextFieldEmbedder
from allennlp.nn.util import min_value_of_dtype
from allennlp.training.metrics import CategoricalAccuracy
from allennlp_models.rc.models.utils import replace_masked_values_with_big_negative_number
from torch.nn.functional import cross_entropy

from allennlp_robust_xlt.common.errors import check_int
from allennlp_robust_xlt.nn.consistency import Distributions, from_logits
from allennlp_robust_xlt.rc.metrics.question_answer_scores import QuestionAnswerScores
from allennlp_robust_xlt.rc.tools.answer_selection import (
    MAX_ANSWER_LENGTH,
    N_BEST_SIZE,
    select_answer,
)

NAME = "xtreme_transformer_qa"


@Model.register(NAME)
class XtremeTransformerQA(Model):
    """
    Registered as a `Model` with name "xtreme_transformer_qa".

    allennlp-models' `transformer_qa` (a linear layer giving a start and an end logit per
    sub-word of a `[CLS] question [SEP] context [SEP]` window, trained with the mean of the two
    cross-entropies), with what XTREME's `run_squad.py` does differently:

    * one instance is a question with all its windows (the `xtreme_*` QA readers), so that the
      answer is chosen over the question's windows inside one batch, and the metrics, the
      predictions and `per_example_results` are per question (`transformer_qa` scores windows);
    * the answer: the best start + end logit over the windows among the `n_best_size` (20)
      highest start and end logits of each window, a span of at most `max_answer_length` (30)
      sub-words that starts in its max-context window (`rc/tools/answer_selection.py`); the
      text is the exact span of the context, with its character offset;
    * the logits are not masked to the context for training or for the n-best lists (XTREME
      masks nothing): every real position of a window counts, padding never. A window without
      the answer has its first token (`[CLS]`, `<s>`) as gold, as in XTREME;
    * exact match and F1 per question as XTREME scores each task (`rc/metrics/`), reported as
      `exact_match` and `f1` (fractions), with `start_acc` and `end_acc` over windows;
    * the embedder comes from the config (`transformer_qa` builds its own), so the plugin's
      word-embedding perturbations, `transformer_kwargs` and the shared configs apply;
    * the output layer is initialised as Hugging Face's question-answering heads (normal, std
      0.02; zero bias).

    The output dictionary: `answer` (text per question), `answer_start` (character offset in the
    context, -1 when no span is valid), `answer_score`, `question_id`, `span_start_logits` /
    `span_end_logits` (`[questions, windows, positions]`, a big negative number on padding),
    `exact_match` / `f1` per question (None without gold answers), and `loss` with gold spans.
    `output_distributions` gives the consistency objectives the start and end distributions of
    each real window (`nn/consistency.py`).

    # Parameters

    vocab : `Vocabulary`
    text_field_embedder : `TextFieldEmbedder`
        A `pretrained_transformer` token embedder under the key `tokens`.
    n_best_size : `int`, optional (default = `20`)
        Start and end candidates per window (XTREME's `--n_best_size`).
    max_answer_length : `int`, optional (default = `30`)
        Longest answer in sub-words (XTREME's `--max_answer_length`).
    **kwargs
        The other `Model` parameters (`regularizer`, `serialization_dir`).
    """

    default_predictor = NAME

    def __init__(
        self,
        vocab: Vocabulary,
        text_field_embedder: TextFieldEmbedder,
        n_best_size: int = N_BEST_SIZE,
        max_answer_length: int = MAX_ANSWER_LENGTH,
        **kwargs: Any,
    ) -> None:
        super().__init__(vocab, **kwargs)
        self._text_field_embedder = text_field_embedder
        self._n_best_size = check_int(NAME, "n_best_size", n_best_size)
        self._max_answer_length = check_int(NAME, "max_answer_length", max_answer_length)
        self._linear_layer = torch.nn.Linear(text_field_embedder.get_output_dim(), 2)
        torch.nn.init.normal_(self._linear_layer.weight, std=0.02)
        torch.nn.init.zeros_(self._linear_layer.bias)
        self._span_start_accuracy = CategoricalAccuracy()
        self._span_end_accuracy = CategoricalAccuracy()
        self._scores = QuestionAnswerScores()

    def forward(  # type: ignore[override]
        self,
        windows: Dict[str, Dict[str, torch.Tensor]],
        answer_spans: Optional[torch.Tensor] = None,
        metadata: Optional[List[Dict[str, Any]]] = None,
    ) -> Dict[str, Any]:
        """
        `windows`: a `ListField` of `TextField`s, `[questions, windows, positions]`; padding
        windows (a question with fewer windows than another of the batch) are left out before
        the transformer. `answer_spans`: `[questions, windows, 2]` gold positions (-1 on padding).
        """
        tokens = windows["tokens"]
        present = tokens["mask"][:, :, 0]  # [questions, windows]: real windows
        rows = {name: tensor[present] for name, tensor in tokens.items()}
        mask = rows["mask"]
        embedded = self._text_field_embedder({"tokens": rows})
        start_logits, end_logits = self._linear_layer(embedded).unbind(-1)  # [rows, positions]
        start_logits = replace_masked_values_with_big_negative_number(start_logits, mask)
        end_logits = replace_masked_values_with_big_negative_number(end_logits, mask)

        output: Dict[str, Any] = {}
        for key, logits in (("span_start_logits", start_logits), ("span_end_logits", end_logits)):
            padded = logits.new_full(
                present.shape + logits.shape[-1:], min_value_of_dtype(logits.dtype)
            )
            padded[present] = logits
            output[key] = padded
        if answer_spans is not None:
            gold = answer_spans[present]
            output["loss"] = (
                cross_entropy(start_logits, gold[:, 0], ignore_index=-1)
                + cross_entropy(end_logits, gold[:, 1], ignore_index=-1)
            ) / 2
            self._span_start_accuracy(start_logits, gold[:, 0])
            self._span_end_accuracy(end_logits, gold[:, 1])
        if not self.training and metadata is not None:
            self._answer(output, start_logits, end_logits, present.sum(dim=1).tolist(), metadata)
        return output

    def _answer(
        self,
        output: Dict[str, Any],
        start_logits: torch.Tensor,
        end_logits: torch.Tensor,
        windows_per_question: List[int],
        metadata: List[Dict[str, Any]],
    ) -> None:
        """Chooses each question's answer over its windows and scores it."""
        starts = start_logits.detach().float().cpu().numpy()
        ends = end_logits.detach().float().cpu().numpy()
        answers = []
        row = 0
        for count, meta in zip(windows_per_question, metadata):
            lengths = [len(offsets) for offsets in meta["offsets"]]
            answers.append(
                select_answer(
                    meta["context"],
                    [starts[row + window, :length] for window, length in enumerate(lengths)],
                    [ends[row + window, :length] for window, length in enumerate(lengths)],
                    meta["offsets"],
                    meta["max_context"],
                    self._n_best_size,
                    self._max_answer_length,
                )
            )
            row += count
        texts = [answer.text for answer in answers]
        scores = self._scores(texts, metadata)
        output["answer"] = texts
        output["answer_start"] = torch.tensor([answer.start for answer in answers])
        output["answer_score"] = torch.tensor([answer.score for answer in answers])
        output["question_id"] = [meta.get("id") for meta in metadata]
        output["exact_match"] = [None if s is None else s.exact_match for s in scores]
        output["f1"] = [None if s is None else s.f1 for s in scores]

    def output_distributions(self, output_dict: Dict[str, Any]) -> List[Distributions]:
        """
        Two groups (`nn/consistency.py`): the start and the end distributions of each real
        window over its real positions (the padding positions and windows are exactly the
        big negative number of `forward`).
        """
        groups = []
        for key in ("span_start_logits", "span_end_logits"):
            logits = output_dict[key]
            real = logits != min_value_of_dtype(logits.dtype)  # [questions, windows, positions]
            windows = real.any(dim=-1)
            groups.append(from_logits(logits[windows], real[windows]))
        return groups

    def per_example_results(
        self, batch: Dict[str, Any], output_dict: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        """
        One result per question (`evaluation/per_example.py`): `id`, `language`,
        `question_language`, `context_language`, the predicted `answer`, and its `exact_match`
        and `f1` when the question has gold answers.
        """
        results = []
        for index, meta in enumerate(batch["metadata"]):
            result: Dict[str, Any] = {
                "id": meta.get("id"),
                "language": meta.get("language"),
                "question_language": meta.get("question_language"),
                "context_language": meta.get("context_language"),
                "answer": output_dict["answer"][index],
            }
            if output_dict["f1"][index] is not None:
                result["exact_match"] = output_dict["exact_match"][index]
                result["f1"] = output_dict["f1"][index]
            results.append(result)
        return results

    def get_metrics(self, reset: bool = False) -> Dict[str, float]:
        metrics = {
            "start_acc": self._span_start_accuracy.get_metric(reset),
            "end_acc": self._span_end_accuracy.get_metric(reset),
        }
        metrics.update(self._scores.get_metric(reset))
        return metrics
