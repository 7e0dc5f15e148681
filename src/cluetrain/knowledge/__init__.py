"""Verified facts staff can cite, and questions to the peer group."""
