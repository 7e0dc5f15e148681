"""Background jobs of crisis mode (imported by the worker at start, which registers them)."""

from cluetrain.crisis.watch import watch_one, watch_streams

__all__ = ["watch_one", "watch_streams"]
