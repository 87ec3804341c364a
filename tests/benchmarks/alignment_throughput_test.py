"""Figure 6 (`benchmarks/alignment_throughput.py`) on a small size: its data and its row (no timing)."""

from pathlib import Path

from benchmarks.alignment_throughput import write_pair_files


def test_pair_files_are_line_aligned_with_distinct_first_sentences(tmp_path: Path) -> None:
    write_pair_files(tmp_path, 20, ["de", "fr"])
    files = sorted((tmp_path / "pawsx").iterdir())
    assert [path.name for path in files] == ["test-de.tsv", "test-en.tsv", "test-fr.tsv"]
    for path in files:
        firsts = [line.split("\t")[0] for line in path.read_text().splitlines()]
        assert len(firsts) == 20 and len(set(firsts)) == 20


def test_the_figure_runs_on_a_small_size(tiny_xlmr: Path, monkeypatch) -> None:
    import benchmarks.alignment_throughput as figure

    monkeypatch.setattr(figure, "local_model", lambda name, **sizes: tiny_xlmr)
    result = figure.run(pairs=12, languages=2, batch_size=8, rounds=1)
    first, second = result.rows
    assert first.anchor.startswith("plain loop ") and second.anchor.startswith(
        "plain loop, sorted "
    )
    for row in result.rows:
        assert row.goal == ">= 0.9" and row.ratio is not None and row.ratio > 0
    assert "36 sentences" in result.notes[0] and "6 CSV rows" in result.notes[0]
