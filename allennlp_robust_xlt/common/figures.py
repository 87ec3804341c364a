"""Matplotlib figures drawn off-screen (the Agg canvas: no display needed)."""

from typing import Any


def agg_figure(width: float, height: float) -> Any:
    """A `matplotlib.figure.Figure` of `width` x `height` inches on an Agg canvas."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height))
    FigureCanvasAgg(figure)
    return figure
