from django.urls import path

from cluetrain.knowledge import views

app_name = "knowledge"

urlpatterns = [
    path("", views.index, name="index"),
    path("search/", views.cite_search, name="cite_search"),
    path("facts/new/", views.new_fact, name="new_fact"),
    path("facts/<int:fact_id>/", views.fact, name="fact"),
    path("facts/<int:fact_id>/edit/", views.edit_fact, name="edit_fact"),
    path("facts/<int:fact_id>/verify/", views.verify_fact, name="verify_fact"),
    path("facts/<int:fact_id>/reviewed/", views.mark_reviewed, name="mark_reviewed"),
    path("facts/<int:fact_id>/retire/", views.retire_fact, name="retire_fact"),
    path("facts/<int:fact_id>/cite/", views.cite, name="cite"),
    path("ask/", views.ask, name="ask"),
    path("ask/<int:question_id>/answer/", views.answer, name="answer"),
    path("ask/<int:question_id>/make-fact/", views.make_fact, name="make_fact"),
]
