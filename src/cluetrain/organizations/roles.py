from django.db import models


class Role(models.TextChoices):
    """What a person does in one organisation; a person may hold several."""

    ADMIN = "admin", "Administrator"
    DIRECTOR = "director", "Director of social media"
    COORDINATOR = "coordinator", "Coordinator"
    MENTOR = "mentor", "Mentor"
    MEMBER = "member", "Member"
    TRAINEE = "trainee", "Trainee"
    OPERATIONS = "operations", "Operations responder"
    MANAGER = "manager", "Manager"
    AGENCY = "agency", "Agency"
