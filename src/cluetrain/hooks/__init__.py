"""Outgoing webhooks: signed, retried deliveries of the organisation's events to its endpoints.

Each request is a JSON ``POST`` with ``X-Cluetrain-Event``, ``X-Cluetrain-Delivery`` (the same
on every attempt of one delivery: a receiver ignores one it has handled),
``X-Cluetrain-Timestamp`` and ``X-Cluetrain-Signature`` (the scheme of
``cluetrain.networks.webhook.signing``: HMAC-SHA256 of the timestamp, a full stop and the body).
"""
