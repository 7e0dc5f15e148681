"""Roll-up tables of insights: day-by-day counts kept up to date by a periodic job, so a
dashboard reads a few thousand small rows instead of scanning conversations and posts."""
