"""The Markdown and CSV tables the report commands write."""

import csv
import io
from pathlib import Path
from typing import Any, Iterable, List, Sequence


def markdown_row(cells: Sequence[Any]) -> str:
    """`| a | b |`; an empty cell is `| |`."""
    return "|" + "|".join(f" {cell} " if str(cell) else " " for cell in cells) + "|"


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[Any]], align: str) -> List[str]:
    """
    The lines of a Markdown table: `align` has one letter per column, `l` (left, text) or `r`
    (right, numbers).
    """
    if len(align) != len(header) or set(align) - {"l", "r"}:
        raise ValueError(f"align {align!r} does not fit the {len(header)} columns")
    rule = "|" + "".join("---|" if side == "l" else "---:|" for side in align)
    return [markdown_row(header), rule, *(markdown_row(row) for row in rows)]


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A CSV table as text, lines ended by `\\n`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Path:
    """A CSV file with the `csv` module's default dialect (lines ended by `\\r\\n`)."""
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
    return path
