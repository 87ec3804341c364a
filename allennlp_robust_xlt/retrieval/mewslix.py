"""
Mewsli-X (XTREME-R): entity linking as retrieval, from the JSON lines of Botha et al. (2020) as
XTREME lays them out (`mewslix/`, file names in the task table's `mewslix` row).

* A query is a mention in one sentence of its context, as `third_party/utils_mewslix.py`'s
  `preprocess_mention` writes it: `"{mention}: {left} { {mention} } {right}"` (braces already in
  the sentence become parentheses; newlines and double spaces normalised). An entity is the
  sentences of its description joined by spaces (`preprocess_entity_description`).
* Training pairs (`mewslix_pairs`, read by the `xtreme_mewslix` reader): lines
  `{"contextual_mention": {"context", "mention"}, "entity"}` of `wikipedia_pairs-{train,dev}`.
* Evaluation (`read_mentions`, `read_candidates`, `evaluate_mewslix`): each mention of
  `wikinews_mentions/{split}-{lang}.jsonl` (lines `{"context", "mention"}`) ranks the whole
  candidate set `candidate_set_entities.jsonl`; its gold entity is the mention's `entity_id`, or
  the `wikinews_labels/{split}-{lang}.json` entry when the mention's is blank (XTREME's test
  files). The metric is MRR@20 (`ranking.py`), XTREME-R's map@20.

Each defect (invalid JSON, a missing field, a span outside its text or not matching its text, a
mention across sentences, a gold entity not in the candidate set) is an error naming the file
and line.
"""

import re
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple

import torch

from allennlp_robust_xlt.common.errors import InputFileError
from allennlp_robust_xlt.common.files import local_input
from allennlp_robust_xlt.common.line_reading import numbered_lines, read_json_file
from allennlp_robust_xlt.mc.dataset_readers.xtreme_multiple_choice_reader import json_record
from allennlp_robust_xlt.retrieval.ranking import mean_average_precision_at_k
from allennlp_robust_xlt.retrieval.sentence_encoder import SentenceEncoder
from allennlp_robust_xlt.tasks import TASKS

_MARKED = re.compile(r"\{(.*?)\}")


def _field(record: Any, key: str, kind: type, path: str, line: int, where: str = "") -> Any:
    if not isinstance(record, Mapping) or key not in record:
        raise InputFileError(path, line, f"missing the field '{where}{key}'")
    value = record[key]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise InputFileError(
            path, line, f"the field '{where}{key}' must be a {kind.__name__}, found {value!r:.60}"
        )
    return value


def _span(record: Any, text: str, path: str, line: int, where: str) -> Tuple[int, int]:
    start = _field(record, "start", int, path, line, where)
    end = _field(record, "end", int, path, line, where)
    if not 0 <= start < end <= len(text):
        raise InputFileError(
            path,
            line,
            f"'{where}' [{start}, {end}) is not a span of its text ({len(text)} characters)",
        )
    return start, end


def _sentences(
    record: Any, text_key: str, path: str, line: int, where: str
) -> List[Tuple[int, int]]:
    text = _field(record, text_key, str, path, line, where)
    spans = _field(record, "sentence_spans", list, path, line, where)
    return [_span(span, text, path, line, f"{where}sentence_spans") for span in spans]


def _normalise(text: str) -> str:
    return " ".join(text.splitlines()).replace("  ", " ").strip()


def mention_query(record: Any, path: str, line: int, where: str = "") -> Tuple[str, str, str]:
    """`(example_id, query, entity_id)` of a `{"context", "mention"}` object."""
    context = _field(record, "context", dict, path, line, where)
    mention = _field(record, "mention", dict, path, line, where)
    text = _field(context, "text", str, path, line, f"{where}context.")
    sentences = _sentences(context, "text", path, line, f"{where}context.")
    example_id = _field(mention, "example_id", str, path, line, f"{where}mention.")
    entity_id = _field(mention, "entity_id", str, path, line, f"{where}mention.")
    span = _field(mention, "mention_span", dict, path, line, f"{where}mention.")
    start, end = _span(span, text, path, line, f"{where}mention.mention_span")
    surface = _field(span, "text", str, path, line, f"{where}mention.mention_span.")
    if text[start:end] != surface:
        raise InputFileError(
            path,
            line,
            f"mention {example_id}: its text {surface!r} is not the context's"
            f" {text[start:end]!r} at [{start}, {end})",
        )
    # The one sentence holding the mention (`ContextualMention.truncate(window_size=0)`).
    found = next(((s, e) for s, e in sentences if s <= start < e and s < end <= e), None)
    if found is None:
        raise InputFileError(
            path, line, f"mention {example_id}: no sentence of its context holds the whole mention"
        )
    sentence = text[found[0] : found[1]]
    left = _MARKED.sub(r"(\1)", sentence[: start - found[0]])
    right = _MARKED.sub(r"(\1)", sentence[end - found[0] :])
    query = _normalise(f"{surface}: {left} {{ {surface} }} {right}")
    return example_id, query, entity_id


def entity_text(record: Any, path: str, line: int, where: str = "") -> Tuple[str, str]:
    """`(entity_id, text)` of an entity object: its description's sentences joined by spaces."""
    entity_id = _field(record, "entity_id", str, path, line, where)
    description = _field(record, "description", str, path, line, where)
    sentences = _sentences(record, "description", path, line, where)
    return entity_id, _normalise(" ".join(description[s:e] for s, e in sentences))


def _records(path: str) -> Iterator[Tuple[int, Dict[str, Any]]]:
    for line, raw in numbered_lines(local_input(path), display_path=path):
        yield line, json_record(raw, path, line)


@dataclass(frozen=True)
class MewslixPair:
    example_id: str
    query: str
    entity_id: str
    entity: str


def mewslix_pair(record: Dict[str, Any], path: str, line: int) -> MewslixPair:
    """One line of `wikipedia_pairs-*.jsonl`."""
    mention = _field(record, "contextual_mention", dict, path, line)
    example_id, query, _ = mention_query(mention, path, line, "contextual_mention.")
    entity = _field(record, "entity", dict, path, line)
    entity_id, text = entity_text(entity, path, line, "entity.")
    return MewslixPair(example_id, query, entity_id, text)


def mewslix_pairs(path: str) -> Iterator[Tuple[int, Dict[str, Any]]]:
    """The numbered JSON lines of a pairs file (parse each with `mewslix_pair`)."""
    return _records(path)


def read_candidates(path: str) -> Tuple[List[str], List[str]]:
    """The candidate set: entity ids and texts, in file order."""
    ids, texts, seen = [], [], set()
    for line, record in _records(path):
        entity_id, text = entity_text(record, path, line)
        if entity_id in seen:
            raise InputFileError(path, line, f"entity {entity_id} appears twice")
        seen.add(entity_id)
        ids.append(entity_id)
        texts.append(text)
    if not ids:
        raise InputFileError(path, None, "has no entities")
    return ids, texts


@dataclass
class Mentions:
    example_ids: List[str] = field(default_factory=list)
    queries: List[str] = field(default_factory=list)
    gold: List[int] = field(default_factory=list)
    """The index of each mention's entity in the candidate set."""


def read_mentions(
    path: str, candidate_ids: Sequence[str], labels_path: Optional[str] = None
) -> Mentions:
    """A language's mentions with their gold candidates (from `labels_path` when blank)."""
    index = {entity_id: i for i, entity_id in enumerate(candidate_ids)}
    labels: Optional[Dict[str, Any]] = None
    mentions = Mentions()
    for line, record in _records(path):
        example_id, query, entity_id = mention_query(record, path, line)
        source, where = path, line
        if not entity_id.strip():
            if labels is None:
                if labels_path is None:
                    raise InputFileError(
                        path, line, f"mention {example_id} has no entity_id and no labels file"
                    )
                labels = read_json_file(labels_path)
                if not isinstance(labels, dict):
                    raise InputFileError(labels_path, None, "must be {example_id: [entity_id]}")
            gold = labels.get(example_id)
            if not (isinstance(gold, list) and gold and isinstance(gold[0], str)):
                raise InputFileError(
                    labels_path or path, None, f"no [entity_id] for mention {example_id}"
                )
            entity_id, source, where = gold[0].strip(), labels_path or path, None
        if entity_id not in index:
            raise InputFileError(
                source,
                where,
                f"mention {example_id}: entity {entity_id} is not in the candidate set",
            )
        mentions.example_ids.append(example_id)
        mentions.queries.append(query)
        mentions.gold.append(index[entity_id])
    if not mentions.queries:
        raise InputFileError(path, None, "has no mentions")
    return mentions


@dataclass
class MewslixResult:
    metrics: Dict[str, Dict[str, float]]
    sizes: Dict[str, int]
    predictions: Dict[str, Dict[str, List[str]]]
    """Language -> {example_id: its 20 best entity ids} (XTREME's prediction format)."""


def evaluate_mewslix(
    encoder: SentenceEncoder,
    candidate_ids: Sequence[str],
    candidate_texts: Sequence[str],
    mentions: Mapping[str, Mentions],
    layer: int,
    pooling: str,
    batch_size: int,
) -> MewslixResult:
    """Every language's mentions against the candidate set (embedded once)."""
    settings = TASKS["mewslix"].retrieval
    k = int(settings["k"])
    candidates = encoder.embed(
        candidate_texts,
        [layer],
        pooling,
        batch_size,
        int(settings["max_candidate_length"]),
        "passage",
    )[0]
    result = MewslixResult({}, {}, {})
    for language, own in mentions.items():
        queries: torch.Tensor = encoder.embed(
            own.queries, [layer], pooling, batch_size, int(settings["max_query_length"]), "query"
        )[0]
        score, _, ranked = mean_average_precision_at_k(
            queries, candidates, [[gold] for gold in own.gold], k
        )
        result.metrics[language] = {f"map_at_{k}": score}
        result.sizes[language] = len(own.queries)
        result.predictions[language] = {
            example_id: [candidate_ids[i] for i in top]
            for example_id, top in zip(own.example_ids, ranked)
        }
    return result
