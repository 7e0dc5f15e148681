from django.urls import path

from cluetrain.organizations import views

app_name = "organizations"

urlpatterns = [
    path("people/", views.people, name="people"),
    path("people/<int:membership_id>/roles/", views.member_roles, name="member_roles"),
    path("settings/", views.settings_page, name="settings"),
    path(
        "settings/invitations/<int:invitation_id>/revoke/",
        views.revoke_invitation,
        name="revoke_invitation",
    ),
    path("me/", views.profile, name="profile"),
    path("organizations/switch/", views.switch_organization, name="switch"),
    path("invitations/<str:token>/", views.accept_invitation, name="accept_invitation"),
]
