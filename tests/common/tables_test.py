import csv

import pytest

from allennlp_robust_xlt.common.tables import csv_text, markdown_row, markdown_table, write_csv


def test_markdown_table_aligns_columns_and_keeps_empty_cells_thin():
    lines = markdown_table(["name", "n"], [["de", 3], ["", 0]], "lr")
    assert lines == ["| name | n |", "|---|---:|", "| de | 3 |", "| | 0 |"]
    assert markdown_row(["a", "", "b"]) == "| a | | b |"


def test_markdown_table_refuses_an_alignment_that_does_not_fit():
    with pytest.raises(ValueError, match="does not fit the 2 columns"):
        markdown_table(["a", "b"], [], "l")
    with pytest.raises(ValueError):
        markdown_table(["a"], [], "c")


def test_csv_text_and_file_quote_and_end_lines(tmp_path):
    assert csv_text(["a", "b"], [["x,y", 1]]) == 'a,b\n"x,y",1\n'
    path = write_csv(tmp_path / "t.csv", ["a", "b"], [["x,y", 1]])
    assert path.read_bytes() == b'a,b\r\n"x,y",1\r\n'
    with open(path, newline="") as rows:
        assert list(csv.reader(rows)) == [["a", "b"], ["x,y", "1"]]
