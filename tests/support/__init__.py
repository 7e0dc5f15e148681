"""Helpers and pytest plugins that start the real servers the tests run against."""
