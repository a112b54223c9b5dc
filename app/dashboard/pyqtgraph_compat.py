"""The dashboard's workarounds that reach into pyqtgraph's internals, all in this module
(docs/architecture.md, Compatibility shims).

Each was measured and tested on the pyqtgraph minors in ``TESTED_VERSIONS`` (pyproject pins
pyqtgraph below the next one). On any other version, or when the private attribute it uses
is gone, it stays off: pyqtgraph's own behaviour is used (correct, only slower) and a
``PyqtgraphCompatWarning`` says so, once per workaround and process.
``tests/app/test_pyqtgraph_compat.py`` fails when an attribute a workaround relies on
disappears from the installed pyqtgraph.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

import pyqtgraph as pg

TESTED_VERSIONS: tuple[tuple[int, int], ...] = ((0, 14),)  # (major, minor)
# GraphicsObject's private switch (name-mangled) for telling its view about its changes.
INFORM_VIEW = "_GraphicsObject__inform_view_on_changes"
# PlotDataItem's private option: how many points per pixel auto-downsampling keeps.
DOWNSAMPLE_FACTOR = "autoDownsampleFactor"
# PlotDataItem's option that makes it clip values far outside the view on a y-range change.
RANGE_LIMIT = "dynamicRangeLimit"

_warned: set[str] = set()


class PyqtgraphCompatWarning(UserWarning):
    """A pyqtgraph workaround is off: an untested pyqtgraph, or its internals changed."""


def tested_version(version: str | None = None) -> bool:
    """Whether ``version`` (default: the installed pyqtgraph) is one the workarounds were
    tested with."""
    match = re.match(r"(\d+)\.(\d+)", version or pg.__version__)
    return match is not None and (int(match[1]), int(match[2])) in TESTED_VERSIONS


def workaround_on(name: str, internals_present: bool = True) -> bool:
    """Whether the workaround ``name`` may run; if not, warn once (per name and process)."""
    if tested_version() and internals_present:
        return True
    if name not in _warned:
        _warned.add(name)
        why = ("the pyqtgraph internals it uses are gone" if tested_version() else
               "it was tested with pyqtgraph " + ", ".join(f"{a}.{b}.x" for a, b in
                                                           TESTED_VERSIONS) + " only")
        warnings.warn(f"Deepwire's pyqtgraph workaround {name!r} is off on pyqtgraph "
                      f"{pg.__version__}: {why}; the dashboard uses pyqtgraph's own "
                      "behaviour, which may draw more slowly", PyqtgraphCompatWarning,
                      stacklevel=3)
    return False


def quiet_child_group(plot: pg.PlotItem) -> None:
    """Keep ``plot``'s view from taking its own new transform for a change of its items'
    bounds: pyqtgraph means to (ChildGroup's "exempt from telling view when transform
    changes") but misspells the attribute, so every change of range queued one more
    auto-range and a second repaint of the whole view."""
    group = plot.getViewBox().childGroup
    if workaround_on("quiet_child_group", hasattr(group, INFORM_VIEW)):
        setattr(group, INFORM_VIEW, False)


def set_points_per_pixel(item: pg.PlotDataItem, factor: float) -> None:
    """How many points per pixel ``item``'s auto-downsampling keeps (pyqtgraph's default, 5,
    costs about three times the paint of 1.5)."""
    if workaround_on("points_per_pixel", DOWNSAMPLE_FACTOR in item.opts):
        item.opts[DOWNSAMPLE_FACTOR] = factor


def plot_data_item(**options: Any) -> pg.PlotDataItem:
    """A PlotDataItem for a long, often updated series: a ``SteadyCurve`` where the
    workaround is on, else pyqtgraph's own."""
    if not workaround_on("steady_curve"):
        return pg.PlotDataItem(**options)
    item = SteadyCurve(**options)
    workaround_on("steady_curve", RANGE_LIMIT in item.opts)  # gone: it defers to pyqtgraph
    return item


class SteadyCurve(pg.PlotDataItem):
    """A PlotDataItem that does not redo its points when only the y range changed and no
    value can be clipped.

    pyqtgraph re-derives a curve's display points, and rebuilds its symbols, on every change
    of the y range, in case values a million view heights away must now be clipped
    (``dynamicRangeLimit``, which keeps Qt from choking on them). An auto-ranged plot
    changes its y range at almost every refresh while its data spans one view height, so
    that work changed nothing, for a sixth of the refresh.
    """

    _view_height = 0.0  # the view's y extent at the last range change seen (0: unknown)

    def viewRangeChanged(self, vb: pg.ViewBox | None = None, ranges: list | None = None,
                         changed: list[bool] | None = None) -> None:
        height = self._view_height
        if ranges is not None:
            self._view_height = abs(ranges[1][1] - ranges[1][0])
        limit = self.opts.get(RANGE_LIMIT)
        if changed is not None and not changed[0] and limit is not None:
            data = self.dataRect()
            if data is None or data.height() <= limit * min(height, self._view_height):
                return  # nothing clipped before, nothing to clip now: the points stand
        super().viewRangeChanged(vb, ranges, changed)
