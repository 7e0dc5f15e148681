"""Objectives, campaigns and the effort they cost: what the organisation sets out to achieve
and how far it has come."""
