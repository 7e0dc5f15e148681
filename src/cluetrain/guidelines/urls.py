from django.urls import path

from cluetrain.guidelines import views

app_name = "guidelines"

urlpatterns = [
    path("", views.index, name="index"),
    path("rules/edit/", views.edit_rule, name="edit"),
    path("rules/delete/", views.delete_rule, name="delete"),
    path("import/", views.import_rules, name="import"),
    path("export/", views.export_rules, name="export"),
    path("test/", views.test_sample, name="test"),
]
