"""Background jobs of crisis mode (imported by the worker at start, which registers them)."""

from cluetrain.crisis.alerts import page_alert, page_declaration
from cluetrain.crisis.watch import watch_one, watch_streams

__all__ = ["page_alert", "page_declaration", "watch_one", "watch_streams"]
