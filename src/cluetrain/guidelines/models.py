"""An organisation's guidelines as stored: the rule set, its rules and every saved version."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from cluetrain.guidelines.engine.types import Kind, Severity


class GuidelineRuleSet(models.Model):
    """What one organisation asks its people not to say, as the rules it has written.

    ``version`` counts the saves (the first save is version 1); every check names the version
    it used (``acme@3``) and ``GuidelineVersion`` keeps the rules of each one.
    """

    organization = models.OneToOneField(
        "organizations.Organization", on_delete=models.CASCADE, related_name="guideline_rule_set"
    )
    version = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"Guidelines of {self.organization} (version {self.version})"


class GuidelineRule(models.Model):
    """One guideline: terms, a pattern, a built-in detector or an embargo, with its severity.

    What differs between kinds (terms, exceptions, pattern, ignore_case, detector, options,
    until) lives in ``config``, in the keys of a rules file.
    """

    rule_set = models.ForeignKey(GuidelineRuleSet, on_delete=models.CASCADE, related_name="rules")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=16, choices=[(k.value, k.value) for k in Kind])
    severity = models.CharField(max_length=8, choices=[(s.value, s.value) for s in Severity])
    explanation = models.TextField(blank=True)
    suggestion = models.TextField(blank=True)
    config = models.JSONField(default=dict, blank=True)
    position = models.PositiveIntegerField(default=0)
    enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["rule_set", "name"], name="guideline_rule_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class GuidelineVersion(models.Model):
    """One saved state of an organisation's guidelines: the rules in effect, as a rules file."""

    rule_set = models.ForeignKey(
        GuidelineRuleSet, on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField()
    snapshot = models.TextField(help_text="The enabled rules of this version, as YAML.")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule_set", "number"], name="guideline_version_number_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.rule_set.organization} version {self.number}"
