"""The pyqtgraph workarounds: each fails here first when the internals it relies on change,
and each falls back to pyqtgraph's own behaviour, warning once, on an untested version."""

from __future__ import annotations

import inspect
import warnings

import pyqtgraph as pg
import pytest
from pyqtgraph.graphicsItems.GraphicsObject import GraphicsObject

from app.dashboard import pyqtgraph_compat as compat
from app.dashboard.plotting import POINTS_PER_PIXEL, curve, plot_widget


@pytest.fixture
def plot(qtbot):
    widget = plot_widget()  # kept alive by this frame while the test runs
    qtbot.addWidget(widget)
    yield widget.getPlotItem()


@pytest.fixture
def untested(monkeypatch) -> None:
    """pyqtgraph as if it were a version the workarounds were not tested with."""
    monkeypatch.setattr(pg, "__version__", "0.99.0")
    monkeypatch.setattr(compat, "_warned", set())


def test_the_installed_pyqtgraph_is_a_tested_one() -> None:
    assert compat.tested_version()
    assert compat.tested_version("0.14.3") and not compat.tested_version("0.15.0")
    assert not compat.tested_version("0.13.7") and not compat.tested_version("nightly")


def test_child_group_still_has_the_private_switch_and_still_misspells_it(plot) -> None:
    group = plot.getViewBox().childGroup
    assert hasattr(group, compat.INFORM_VIEW)  # GraphicsObject's mangled private attribute
    assert "__inform_view_on_changes" in inspect.getsource(GraphicsObject.itemChange)
    # The misspelt attribute ChildGroup sets instead; when pyqtgraph fixes it, drop the
    # workaround.
    assert hasattr(group, "_GraphicsObject__inform_view_on_change")
    assert getattr(group, compat.INFORM_VIEW) is False  # style_plot switched it off


def test_plot_data_item_still_has_the_options_and_hook_the_workarounds_use(plot) -> None:
    item = pg.PlotDataItem()
    plot.addItem(item)
    assert compat.DOWNSAMPLE_FACTOR in item.opts and compat.RANGE_LIMIT in item.opts
    parameters = list(inspect.signature(pg.PlotDataItem.viewRangeChanged).parameters)
    assert parameters == ["self", "vb", "ranges", "changed"]
    drawn = curve(plot, "#2563eb")
    assert isinstance(drawn, compat.SteadyCurve)
    assert drawn.opts[compat.DOWNSAMPLE_FACTOR] == POINTS_PER_PIXEL


def test_an_untested_pyqtgraph_gets_its_own_behaviour_and_one_warning(qtbot, untested
                                                                       ) -> None:
    with pytest.warns(compat.PyqtgraphCompatWarning, match="tested with pyqtgraph 0.14.x"):
        widget = plot_widget()  # styling the plot quiets its child group
    qtbot.addWidget(widget)
    plot = widget.getPlotItem()
    assert getattr(plot.getViewBox().childGroup, compat.INFORM_VIEW) is True
    with pytest.warns(compat.PyqtgraphCompatWarning) as warned:
        drawn = curve(plot, "#2563eb")
    messages = " ".join(str(w.message) for w in warned)
    assert "'steady_curve'" in messages and "'points_per_pixel'" in messages
    assert type(drawn) is pg.PlotDataItem
    assert drawn.opts[compat.DOWNSAMPLE_FACTOR] != POINTS_PER_PIXEL  # pyqtgraph's default
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        curve(plot, "#ea580c")  # once per workaround and process: no second warning
        compat.quiet_child_group(plot)


def test_missing_internals_switch_a_workaround_off(plot, monkeypatch) -> None:
    monkeypatch.setattr(compat, "_warned", set())
    monkeypatch.setattr(compat, "INFORM_VIEW", "_GraphicsObject__gone")
    with pytest.warns(compat.PyqtgraphCompatWarning, match="internals it uses are gone"):
        compat.quiet_child_group(plot)
    assert not hasattr(plot.getViewBox().childGroup, "_GraphicsObject__gone")
