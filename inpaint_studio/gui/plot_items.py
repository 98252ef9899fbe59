"""Items one feature adds to a pyqtgraph plot and owns, so it can replace or remove them."""

from __future__ import annotations

from typing import Any


class PlotItems:
    """The items added to `plot` through `add`; `clear` removes them all."""

    def __init__(self, plot: Any) -> None:
        self.plot = plot
        self.items: list[Any] = []

    def add(self, item: Any) -> None:
        self.plot.addItem(item, ignoreBounds=True)  # marks never change the plot's range
        self.items.append(item)

    def clear(self) -> None:
        for item in self.items:
            self.plot.removeItem(item)
        self.items = []
