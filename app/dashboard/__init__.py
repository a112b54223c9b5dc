"""The live training dashboard: curves, attention maps, GAN and graph views
(docs/architecture.md, Training and events; GUI model and views).

Import it lazily: pyqtgraph takes a while to load and the main window must appear first.
"""

from app.dashboard.attention import AttentionView
from app.dashboard.curves import CurvesView
from app.dashboard.dashboard import Dashboard, measure_update_ms
from app.dashboard.gan import GanView
from app.dashboard.graph import GraphView
from app.dashboard.header import ProgressHeader

__all__ = ["AttentionView", "CurvesView", "Dashboard", "GanView", "GraphView", "ProgressHeader",
           "measure_update_ms"]
