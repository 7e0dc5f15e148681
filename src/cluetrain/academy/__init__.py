"""Courses, lessons, quizzes, assignments and each person's progress towards autonomy."""
