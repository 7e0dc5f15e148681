"""Bluesky, through the AT Protocol: the connector and its rich-text rules."""

from cluetrain.networks.bluesky.connector import BlueskyConnector
from cluetrain.networks.bluesky.richtext import facets, grapheme_count, length_problem

__all__ = ["BlueskyConnector", "facets", "grapheme_count", "length_problem"]
