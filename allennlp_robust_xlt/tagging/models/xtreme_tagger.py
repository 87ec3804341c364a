from typing import Any, Dict, List, Optional, Set, Tuple

import torch
from allennlp.common.checks import ConfigurationError
from allennlp.data import TextFieldTensors, Vocabulary
from allennlp.models.model import Model
from allennlp.modules import TextFieldEmbedder
from allennlp.nn import InitializerApplicator
from allennlp.nn.util import get_text_field_mask, sequence_cross_entropy_with_logits

from allennlp_robust_xlt.common.errors import InputFileError
from allennlp_robust_xlt.nn.consistency import Distributions, from_logits
from allennlp_robust_xlt.tagging.metrics.seqeval_metrics import SeqevalMetrics, sentence_counts

UNSCORABLE = (
    "has words without tags (XTREME strips the tags of its test files), so it cannot be"
    " scored: tag it with `allennlp predict ARCHIVE FILE --use-dataset-reader`, and score files"
    " with tags (dev files, or test files with tags such as download-xtreme writes)"
)


@Model.register("xtreme_tagger")
class XtremeTagger(Model):
    """
    Registered as a `Model` with name "xtreme_tagger".

    A transformer token classifier as XTREME's `run_tag.py` (BertForTokenClassification /
    XLMRobertaForTokenClassification): the encoder's vector of each word's first sub-word,
    dropout, and a linear layer over the tags, trained with cross-entropy averaged over the
    words of the batch. Use AllenNLP's `pretrained_transformer_mismatched` indexer and embedder
    with `sub_token_mode: "first"` (XTREME labels the first sub-word of each word) and
    `max_length: 128`: a sentence longer than the window is split into windows and re-joined
    by the embedder, so every word gets exactly one tag, however long the sentence.

    Metrics: seqeval's micro `f1`, `precision` and `recall` on the raw tags and the token
    `accuracy`, as XTREME's `evaluate.py` computes them (`SeqevalMetrics`). A file without tags
    cannot be scored: the metrics then raise an error naming it, never a score. Its default
    predictor is `xtreme_tagging` (`{"words": [...]}` -> `{"words", "tags"}`), and
    `per_example_results` gives `xtreme-report` one line per sentence;
    `output_distributions`, the consistency objectives each word's tag distribution under the mask
    (`nn/consistency.py`).

    # Parameters

    vocab : `Vocabulary`
    text_field_embedder : `TextFieldEmbedder`
        E.g. `{"token_embedders": {"tokens": {"type": "pretrained_transformer_mismatched",
        "model_name": ..., "max_length": 128, "sub_token_mode": "first"}}}`.
    dropout : `float`, optional (default = `0.1`)
        Before the tag projection (the transformers' `hidden_dropout_prob`).
    label_namespace : `str`, optional (default = `"labels"`)
    initializer : `InitializerApplicator`, optional
        For the tag projection, e.g. normal with std 0.02 as the transformers initialise it.
    """

    default_predictor = "xtreme_tagging"

    def __init__(
        self,
        vocab: Vocabulary,
        text_field_embedder: TextFieldEmbedder,
        dropout: float = 0.1,
        label_namespace: str = "labels",
        initializer: InitializerApplicator = InitializerApplicator(),
        **kwargs: Any,
    ) -> None:
        super().__init__(vocab, **kwargs)
        self.text_field_embedder = text_field_embedder
        self.label_namespace = label_namespace
        # The smoothed vote and the predictors read the namespace under this name too.
        self._label_namespace = label_namespace
        self.num_tags = vocab.get_vocab_size(label_namespace)
        if self.num_tags == 0:
            raise ConfigurationError(f"xtreme_tagger: no tags in the namespace {label_namespace!r}")
        self.dropout = torch.nn.Dropout(dropout)
        self.tag_projection = torch.nn.Linear(text_field_embedder.get_output_dim(), self.num_tags)
        self.metrics = SeqevalMetrics()
        self._unscorable: Set[str] = set()
        initializer(self)

    def forward(  # type: ignore[override]
        self,
        tokens: TextFieldTensors,
        tags: Optional[torch.LongTensor] = None,
        metadata: Optional[List[Dict[str, Any]]] = None,
    ) -> Dict[str, torch.Tensor]:
        embedded = self.text_field_embedder(tokens)
        mask = get_text_field_mask(tokens)
        logits = self.tag_projection(self.dropout(embedded))
        output: Dict[str, Any] = {
            "logits": logits,
            "class_probabilities": torch.softmax(logits, dim=-1),
            "mask": mask,
        }
        if tags is not None:
            output["loss"] = sequence_cross_entropy_with_logits(logits, tags, mask, average="token")
            gold, predicted = self._tag_strings(logits, tags, mask)
            # XTREME scores a file's sentences in their order (it matters for UD-POS's `X`).
            order = (
                [(meta.get("path") or "", meta.get("line") or 0) for meta in metadata]
                if metadata is not None
                else None
            )
            self.metrics(gold, predicted, order)
        elif metadata is not None:
            paths = [meta["path"] for meta in metadata if meta.get("path")]
            if paths and self.training:
                raise InputFileError(paths[0], None, UNSCORABLE.replace("scored", "trained on"))
            self._unscorable.update(paths)
        return output

    def _tag_strings(
        self, logits: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor
    ) -> Tuple[List[List[str]], List[List[str]]]:
        """Gold and predicted tags of each sentence, as strings, without padding."""
        vocabulary = self.vocab.get_index_to_token_vocabulary(self.label_namespace)
        lengths = mask.sum(dim=-1).tolist()
        predicted_ids = logits.argmax(dim=-1).tolist()
        gold_ids = tags.tolist()
        gold = [[vocabulary[i] for i in row[:n]] for row, n in zip(gold_ids, lengths)]
        predicted = [[vocabulary[i] for i in row[:n]] for row, n in zip(predicted_ids, lengths)]
        return gold, predicted

    def output_distributions(self, output_dict: Dict[str, torch.Tensor]) -> List[Distributions]:
        """The tag distribution of each word under the mask (`nn/consistency.py`)."""
        mask = output_dict["mask"].bool()
        return [from_logits(output_dict["logits"][mask])]

    def get_metrics(self, reset: bool = False) -> Dict[str, float]:
        if self._unscorable:
            path = sorted(self._unscorable)[0]
            self._unscorable.clear()
            self.metrics.reset()
            raise InputFileError(path, None, UNSCORABLE)
        return self.metrics.get_metric(reset)

    def make_output_human_readable(
        self, output_dict: Dict[str, torch.Tensor]
    ) -> Dict[str, torch.Tensor]:
        """Adds `tags`: the most probable tag of each word, one per word."""
        vocabulary = self.vocab.get_index_to_token_vocabulary(self.label_namespace)
        lengths = output_dict["mask"].sum(dim=-1).tolist()
        predicted = output_dict["logits"].argmax(dim=-1).tolist()  # as the metrics pick
        output_dict["tags"] = [  # type: ignore[assignment]
            [vocabulary[index] for index in row[:length]] for row, length in zip(predicted, lengths)
        ]
        return output_dict

    def per_example_results(
        self, batch: Dict[str, Any], output_dict: Dict[str, torch.Tensor]
    ) -> List[Dict[str, Any]]:
        """
        One result per sentence of an evaluated batch (`evaluation/per_example.py`): its `id`,
        `language` and seqeval counts `tp`, `fp`, `fn` (entities), `correct_tokens`, `tokens`.
        """
        mask = output_dict["mask"]
        metadata = batch.get("metadata") or [{}] * mask.size(0)
        tags = batch.get("tags")
        if tags is None:
            return [
                {"id": meta.get("id", index), "language": meta.get("language")}
                for index, meta in enumerate(metadata)
            ]
        gold, predicted = self._tag_strings(output_dict["logits"], tags, mask)
        results = []
        for index, (meta, gold_tags, predicted_tags) in enumerate(zip(metadata, gold, predicted)):
            counts = sentence_counts(gold_tags, predicted_tags)
            results.append(
                {
                    "id": meta.get("id", index),
                    "language": meta.get("language"),
                    "tp": counts.true_positives,
                    "fp": counts.false_positives,
                    "fn": counts.false_negatives,
                    "correct_tokens": counts.correct_tokens,
                    "tokens": counts.tokens,
                }
            )
        return results
