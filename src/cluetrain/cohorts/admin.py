from django.contrib import admin

from cluetrain.cohorts.models import Cohort, CohortMember


class MemberInline(admin.TabularInline):
    model = CohortMember
    extra = 0
    can_delete = False
    fields = ("membership", "status", "home_department", "placement_department", "placement_on")
    readonly_fields = fields


@admin.register(Cohort)
class CohortAdmin(admin.ModelAdmin):
    # Read-only: dates, members, shifts and placements go through the services (their rules,
    # the audit log, the notifications and the inbox's routing).
    list_display = ("name", "organization", "centre", "starts_on", "ends_on", "status")
    list_filter = ("status",)
    readonly_fields = [f.name for f in Cohort._meta.fields]
    inlines = [MemberInline]

    def has_add_permission(self, request: object) -> bool:
        return False
