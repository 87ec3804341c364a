from allennlp_robust_xlt.common.figures import agg_figure


def test_agg_figure_draws_off_screen(tmp_path):
    figure = agg_figure(3.0, 2.0)
    assert tuple(figure.get_size_inches()) == (3.0, 2.0)
    figure.add_subplot(1, 1, 1).plot([0, 1], [1, 0])
    figure.savefig(str(tmp_path / "plot.png"), dpi=50)
    assert (tmp_path / "plot.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
