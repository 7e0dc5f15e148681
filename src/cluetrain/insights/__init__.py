"""Insights: engagement collected from the networks, and the measures built on it."""
