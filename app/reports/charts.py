"""The reports' one chart helper: matplotlib figures drawn headless and returned as inline SVG (no fonts or scripts
fetched, no timestamp), and the reports' common chart style."""

from __future__ import annotations

import io
import re


def pyplot():
    """matplotlib.pyplot on the Agg backend (no display needed), imported only when a report draws."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def svg(fig) -> str:
    """The figure as an <svg> element to inline in HTML (no XML prolog, no metadata), the figure closed."""
    import matplotlib.pyplot as plt

    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    text = buffer.getvalue()
    return re.sub(r"<metadata>.*?</metadata>", "", text[text.index("<svg"):], flags=re.DOTALL)


def legend_beside(ax, **legend) -> None:
    """The reports' legend: to the right of the plot, small, no box around it."""
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8, frameon=False, **legend)


def svg_with_legend_beside(fig, ax) -> str:
    """The reports' bar-chart style: the legend to the right of the plot, no box around it, no top or right
    spine."""
    legend_beside(ax)
    ax.spines[["top", "right"]].set_visible(False)
    return svg(fig)
