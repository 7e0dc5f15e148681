"""Cluetrain: social media run through an organisation's own people."""

__version__ = "0.1.0"
