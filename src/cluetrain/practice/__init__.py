"""The practice space: a simulated network where learners post and answer replayed customer
messages, and mentors give feedback."""
