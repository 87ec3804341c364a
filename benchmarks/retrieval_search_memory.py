"""
Retrieval figure B: peak memory (and time) of BUCC-scale bitext mining, 200k x 200k synthetic
sentence embeddings, with `allennlp_robust_xlt.retrieval.search.mine_bitext` (the exact k = 4
nearest neighbours in both directions from one chunked pass over the similarity matrix, ratio
margins, XTREME's greedy `retrieval="max"` extraction).

A fresh subprocess makes the two unit-norm embedding matrices (seeded Gaussian, float32, made in
place), notes its resident set size, mines, and reports its peak resident set size
(`getrusage`). The search's own memory is the peak minus the size after the embeddings were
made; goal: at most the chunk budget (`DEFAULT_CHUNK_BYTES`, one block of similarities) plus
256 MiB for the neighbour lists, their merges and the candidate pairs. The full
similarity matrix (n x n float32) is given for comparison.

`--query-rows N` mines only the first N rows of the first matrix against the whole second one
(both made at full size), for a shorter run with the same memory profile: the block, the
running top-k of all `--size` columns and the embeddings are as large as in the full run.

    python -m benchmarks.retrieval_search_memory [--size 200000] [--dim 768] [--query-rows N]
"""

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, Optional

from benchmarks.common import (
    PROJECT_ROOT,
    THREADS,
    FigureResult,
    figure_main,
    peak_rss_mb,
)

MIB = 1024 * 1024


def current_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return peak_rss_mb()


def child(size: int, dim: int, query_rows: int) -> None:
    """In a subprocess: make the embeddings, mine, print the figures as JSON."""
    import torch

    from allennlp_robust_xlt.retrieval.search import mine_bitext, normalize

    torch.set_num_threads(THREADS)
    generator = torch.Generator().manual_seed(0)
    x = normalize(torch.randn(size, dim, generator=generator), inplace=True)
    y = normalize(torch.randn(size, dim, generator=generator), inplace=True)
    # Plant translations: the first tenth of y are noisy copies of x's.
    planted = size // 10
    y[:planted] = normalize(x[:planted] + 0.5 * y[:planted])
    start_mb = current_rss_mb()
    started = time.perf_counter()
    pairs = mine_bitext(x[:query_rows], y)
    seconds = time.perf_counter() - started
    planted = min(planted, query_rows)
    found = sum(1 for _, i, j in pairs if i == j and i < planted)
    print(
        json.dumps(
            {
                "start_mb": start_mb,
                "peak_mb": peak_rss_mb(),
                "seconds": seconds,
                "pairs": len(pairs),
                "planted_found": found,
                "planted": planted,
            }
        )
    )


def measure(size: int, dim: int, query_rows: int) -> Dict[str, float]:
    output = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.retrieval_search_memory",
            "--child",
            "--size",
            str(size),
            "--dim",
            str(dim),
            "--query-rows",
            str(query_rows),
        ],
        cwd=PROJECT_ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def run(size: int = 200_000, dim: int = 768, query_rows: Optional[int] = None) -> FigureResult:
    from allennlp_robust_xlt.retrieval.search import DEFAULT_CHUNK_BYTES

    query_rows = min(query_rows or size, size)
    figures = measure(size, dim, query_rows)
    result = FigureResult(
        f"7. BUCC-scale mining memory ({query_rows:,} x {size:,}, dim {dim})",
        "benchmarks/retrieval_search_memory.py",
    )
    embeddings_mb = 2 * size * dim * 4 / MIB
    search_mb = figures["peak_mb"] - figures["start_mb"]
    budget_mb = DEFAULT_CHUNK_BYTES / MIB + 256
    full_matrix_mb = query_rows * size * 4 / MIB
    result.add(
        "mine_bitext peak RSS",
        f"{figures['peak_mb']:.0f} MiB",
        f"embeddings {embeddings_mb:.0f} MiB",
        None,
        "-",
        None,
        "peak RSS",
    )
    result.add(
        "search memory (peak - after embeddings)",
        f"{search_mb:.0f} MiB",
        f"full similarity matrix {full_matrix_mb:,.0f} MiB",
        search_mb / full_matrix_mb,
        f"<= {budget_mb:.0f} MiB",
        search_mb <= budget_mb,
        "peak RSS",
    )
    result.notes.append(
        f"{figures['seconds']:.0f} s for the search and extraction ({THREADS} torch thread(s));"
        f" {figures['pairs']:,} pairs mined, {figures['planted_found']:,} of the"
        f" {figures['planted']:,} planted translations among them."
    )
    return result


if __name__ == "__main__":
    if "--child" in sys.argv:

        def argument(flag: str) -> int:
            return int(sys.argv[sys.argv.index(flag) + 1])

        child(argument("--size"), argument("--dim"), argument("--query-rows"))
    else:
        figure_main(
            run,
            "Peak memory of BUCC-scale bitext mining on synthetic embeddings.",
            [
                ("--size", {"type": int, "default": 200_000}),
                ("--dim", {"type": int, "default": 768}),
                ("--query-rows", {"type": int, "default": None}),
            ],
        )
