from django.urls import path, re_path

from cluetrain.insights import views, views_report

app_name = "insights"

urlpatterns = [
    path("", views.index, name="index"),
    path("<slug:table>.csv", views.index_csv, name="index_csv"),
    path("departments/<int:department_id>/", views.department, name="department"),
    path(
        "departments/<int:department_id>/<slug:table>.csv",
        views.department_csv,
        name="department_csv",
    ),
    path("voices/<int:voice_id>/", views.voice, name="voice"),
    path("voices/<int:voice_id>/<slug:table>.csv", views.voice_csv, name="voice_csv"),
    path("voices/<int:voice_id>/slots/", views.apply_slots, name="apply_slots"),
    path("people/<int:person_id>/", views.person, name="person"),
    path("people/<int:person_id>/<slug:table>.csv", views.person_csv, name="person_csv"),
    re_path(r"^report/(?P<year>\d{4})-(?P<month>\d{2})/$", views_report.report, name="report"),
    re_path(
        r"^report/(?P<year>\d{4})-(?P<month>\d{2})\.csv$",
        views_report.report,
        {"kind": "csv"},
        name="report_csv",
    ),
]
