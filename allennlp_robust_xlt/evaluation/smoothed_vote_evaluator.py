import itertools
import json
import logging
from os import PathLike
from pathlib import Path
from typing import Any, Dict, List, Optional, Union

import torch
from allennlp.common.checks import check_for_gpu
from allennlp.common.util import dump_metrics, int_to_device
from allennlp.data import DataLoader
from allennlp.evaluation.evaluator import Evaluator
from allennlp.evaluation.serializers.serializers import Serializer
from allennlp.models import Model
from allennlp.training.metrics import CategoricalAccuracy

from allennlp_robust_xlt.common.errors import ParameterError
from allennlp_robust_xlt.data.reader_calls import read_calls
from allennlp_robust_xlt.evaluation.smoothed_voting import (
    SmoothedVoter,
    Vote,
    VoteNoise,
    check_vote_arguments,
)

logger = logging.getLogger(__name__)

NAME = "smoothed_vote"


@Evaluator.register(NAME)
class SmoothedVoteEvaluator(Evaluator):
    """
    Registered as an `Evaluator` with name "smoothed_vote".

    `allennlp evaluate` by majority vote over `copies` synonym-perturbed copies of each example
    (see `allennlp_robust_xlt/evaluation/smoothed_voting.py`). `allennlp evaluate` takes its
    evaluator from the config key `"evaluation"`, so choose this one with an override::

        allennlp evaluate model.tar.gz data/xtreme/xnli/test-de.tsv --include-package allennlp_robust_xlt \\
            -o '{"evaluation": {"type": "smoothed_vote", "neighbors": "neighbors-de.json", "copies": 10}}'

    It reads each file with the archive's validation reader and data path (so the data loader
    must be AllenNLP's default `multiprocess` one, which keeps both), builds the copies with that
    reader's `text_to_instance`, and batches them itself (`batch_size` copies per forward pass).

    Metrics: `accuracy` (of the vote, by AllenNLP's `CategoricalAccuracy`), `vote_share` (mean
    fraction of the copies that voted for the winner), `copies` (votes per example), and the
    model's own metrics and loss on the individual copies, prefixed `copy_` (`copy_accuracy`,
    `copy_loss`). `--predictions-output-file` gets one JSON line per example: `label`,
    `vote_share`, `votes` (label -> count) and, when known, `gold_label`.

    # Parameters

    neighbors : `str`, optional
        Path or URL of the JSON neighbour table of the evaluation language; required unless
        `noise` is given.
    copies : `int`, optional (default = `10`)
    seed : `int`, optional (default = `0`)
    match : `str`, optional (default = `"exact"`)
        `"exact"` or `"normalized"`, as for the `randomized_smoothing` reader.
    include_original : `bool`, optional (default = `False`)
        Let the clean example vote too.
    noise : `VoteNoise`, optional (default = `None`)
        A registered noise source applied inside the forward passes (voting by embedding noise),
        e.g. `{"type": "word_embedding_noise", "scale": 0.01}`; alone or with `neighbors`.
    batch_size : `int`, optional (default = the data loader's batch size, else 32)
        Copies per forward pass.
    text_arguments : `List[str]`, optional
        As for the `randomized_smoothing` reader.
    batch_serializer, cuda_device, postprocessor_fn_name
        As for AllenNLP's `simple` evaluator (`cuda_device` is set by `allennlp evaluate`; the
        serializer is not used: predictions are written per example).
    """

    def __init__(
        self,
        neighbors: Optional[str] = None,
        copies: int = 10,
        seed: int = 0,
        match: str = "exact",
        include_original: bool = False,
        noise: Optional[VoteNoise] = None,
        batch_size: Optional[int] = None,
        text_arguments: Optional[List[str]] = None,
        batch_serializer: Optional[Serializer] = None,
        cuda_device: Union[int, torch.device] = -1,
        postprocessor_fn_name: str = "make_output_human_readable",
    ) -> None:
        super().__init__(batch_serializer, cuda_device, postprocessor_fn_name)
        check_vote_arguments(NAME, neighbors, copies, match, noise)
        self.voter_arguments: Dict[str, Any] = dict(
            neighbors=neighbors,
            copies=copies,
            seed=seed,
            match=match,
            include_original=include_original,
            noise=noise,
            text_arguments=text_arguments,
        )
        self.batch_size = batch_size

    def __call__(
        self,
        model: Model,
        data_loader: DataLoader,
        batch_weight_key: Optional[str] = None,
        metrics_output_file: Optional[Union[str, PathLike]] = None,
        predictions_output_file: Optional[Union[str, PathLike]] = None,
    ) -> Dict[str, Any]:
        reader = getattr(data_loader, "reader", None)
        data_path = getattr(data_loader, "data_path", None)
        if reader is None or data_path is None:
            raise ParameterError(
                NAME,
                "data_loader",
                "must read from a dataset reader and a data path (AllenNLP's multiprocess loader),"
                f" got {type(data_loader).__name__}",
            )
        if batch_weight_key:
            logger.warning(
                "%s: batch_weight_key %r is ignored (every copy weighs the same)",
                NAME,
                batch_weight_key,
            )
        check_for_gpu(self.cuda_device)
        batch_size = self.batch_size or data_loader_batch_size(data_loader) or 32
        voter = SmoothedVoter(
            model,
            reader,
            batch_size=batch_size,
            cuda_device=int_to_device(self.cuda_device),
            component=NAME,
            **self.voter_arguments,
        )
        labels = voter.labels()
        accuracy = CategoricalAccuracy()
        losses = {"sum": 0.0, "count": 0}

        def add_loss(output: Dict[str, torch.Tensor], length: int) -> None:
            if "loss" in output:
                losses["sum"] += float(output["loss"]) * length
                losses["count"] += length

        predictions_file = (
            open(predictions_output_file, "w", encoding="utf-8")
            if predictions_output_file
            else None
        )
        examples = 0
        share_sum = 0.0
        # Enough examples per chunk to fill about one forward pass.
        chunk_size = max(1, batch_size // voter.votes_per_input)
        model.eval()
        model.get_metrics(reset=True)
        try:
            calls = read_calls(voter.reader, data_path, component=NAME)
            while True:
                chunk = list(itertools.islice(calls, chunk_size))
                if not chunk:
                    break
                votes = voter.vote(chunk, on_output=add_loss)
                for vote in votes:
                    examples += 1
                    share_sum += vote.share
                    if vote.gold is not None:
                        accuracy(torch.tensor([vote.scores]), torch.tensor([vote.gold]))
                    if predictions_file is not None:
                        predictions_file.write(
                            json.dumps(vote_json(vote, labels), ensure_ascii=False) + "\n"
                        )
        finally:
            if predictions_file is not None:
                predictions_file.close()
        metrics: Dict[str, Any] = {}
        if accuracy.total_count > 0:
            metrics["accuracy"] = accuracy.get_metric(reset=True)
        metrics["vote_share"] = share_sum / examples if examples else 0.0
        metrics["copies"] = voter.votes_per_input
        metrics["examples"] = examples
        for name, value in model.get_metrics(reset=True).items():
            metrics[f"copy_{name}"] = value
        if losses["count"]:
            metrics["copy_loss"] = losses["sum"] / losses["count"]
        if metrics_output_file is not None:
            dump_metrics(str(Path(metrics_output_file)), metrics, log=True)
        return metrics


def data_loader_batch_size(data_loader: DataLoader) -> Optional[int]:
    batch_size = getattr(data_loader, "batch_size", None)
    if batch_size is None:
        batch_size = getattr(getattr(data_loader, "batch_sampler", None), "batch_size", None)
    return batch_size


def vote_json(vote: Vote, labels: Dict[int, str]) -> Dict[str, Any]:
    result: Dict[str, Any] = {
        "label": labels.get(vote.label_index, str(vote.label_index)),
        "vote_share": vote.share,
        "votes": {labels.get(index, str(index)): count for index, count in enumerate(vote.counts)},
    }
    if vote.gold is not None:
        result["gold_label"] = labels.get(vote.gold, str(vote.gold))
    return result
