"""Agencies in the open: agency staff marked everywhere, shadowing, hand-over plans and
the self-sufficiency index."""
