from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest

from cluetrain.organizations.models import (
    Department,
    Invitation,
    Membership,
    Organization,
    Person,
    RoleGrant,
)


@admin.register(Person)
class PersonAdmin(UserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "is_active", "is_staff", "date_joined"]
    search_fields = ["email", "full_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Person", {"fields": ("full_name", "time_zone")}),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser")}),
    )
    add_fieldsets = ((None, {"fields": ("email", "full_name", "password1", "password2")}),)
    filter_horizontal = ()
    list_filter = ["is_active", "is_staff"]


class DepartmentInline(admin.TabularInline):
    model = Department
    extra = 0
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "time_zone", "disclosure_text"]
    prepopulated_fields = {"slug": ("name",)}
    inlines = [DepartmentInline]

    def has_delete_permission(self, request: HttpRequest, obj: Organization | None = None) -> bool:
        # An organisation's audit log is append-only and goes with it: deleting one would
        # erase its history (PostgreSQL's trigger refuses the cascade; SQLite would let it
        # through), so organisations are kept, on both databases alike.
        return False


class RoleGrantInline(admin.TabularInline):
    model = RoleGrant
    extra = 0


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["person", "organization", "is_active"]
    list_filter = ["organization", "is_active"]
    inlines = [RoleGrantInline]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = [
        "email",
        "organization",
        "created_at",
        "expires_at",
        "accepted_at",
        "revoked_at",
    ]
    readonly_fields = ["token_hash"]
