"""Engagement-centre rotations: cohorts immersed in the centre, then placed into departments."""
