from __future__ import annotations

from django.contrib import admin

from cluetrain.guidelines.models import GuidelineRule, GuidelineRuleSet, GuidelineVersion


class GuidelineRuleInline(admin.TabularInline):
    model = GuidelineRule
    extra = 0
    fields = ["position", "name", "kind", "severity", "enabled"]
    readonly_fields = ["position", "name", "kind", "severity", "enabled"]
    can_delete = False


@admin.register(GuidelineRuleSet)
class GuidelineRuleSetAdmin(admin.ModelAdmin):
    # Rules are changed through the guidelines page, which validates and versions them.
    list_display = ["organization", "version", "updated_at", "updated_by"]
    readonly_fields = ["organization", "version", "updated_at", "updated_by"]
    inlines = [GuidelineRuleInline]


@admin.register(GuidelineVersion)
class GuidelineVersionAdmin(admin.ModelAdmin):
    list_display = ["rule_set", "number", "created_at", "created_by", "note"]
    readonly_fields = ["rule_set", "number", "snapshot", "created_at", "created_by", "note"]
