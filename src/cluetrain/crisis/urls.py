from django.urls import path

from cluetrain.crisis import views

app_name = "crisis"

urlpatterns = [
    path("", views.index, name="index"),
    path("alerts/", views.alerts, name="alerts"),
    path("alerts/<int:alert_id>/dismiss", views.dismiss, name="dismiss"),
    path("declare/", views.declare, name="declare"),
    path("runbook/", views.runbook, name="runbook"),
    path("incidents/<int:incident_id>/", views.incident, name="incident"),
    path("incidents/<int:incident_id>/edit/", views.edit, name="edit"),
    path("incidents/<int:incident_id>/timeline", views.incident_timeline, name="timeline"),
    path("incidents/<int:incident_id>/updates", views.post_update, name="post_update"),
    path("incidents/<int:incident_id>/paused", views.decide, name="decide"),
    path("incidents/<int:incident_id>/end", views.end, name="end"),
    path("incidents/<int:incident_id>/report/", views.incident_report, name="report"),
    path(
        "incidents/<int:incident_id>/report.csv",
        views.incident_report,
        {"kind": "csv"},
        name="report_csv",
    ),
    path(
        "incidents/<int:incident_id>/report.html",
        views.incident_report,
        {"kind": "html"},
        name="report_html",
    ),
]
