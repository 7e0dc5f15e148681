from django.urls import path

from cluetrain.academy import views, views_authoring

app_name = "academy"

urlpatterns = [
    path("", views.index, name="index"),
    path("courses/<slug:slug>/", views.course, name="course"),
    path("courses/<slug:slug>/<slug:lesson>/", views.lesson, name="lesson"),
    path("courses/<slug:slug>/<slug:lesson>/done/", views.complete, name="complete"),
    path("courses/<slug:slug>/<slug:lesson>/quiz/", views.quiz, name="quiz"),
    path("courses/<slug:slug>/<slug:lesson>/exercise/", views.exercise, name="exercise"),
    path("people/<int:pk>/", views.person, name="person"),
    path("learners/", views.learners, name="learners"),
    path("write/", views_authoring.courses, name="write"),
    path("write/new/", views_authoring.edit_course, name="new_course"),
    path("write/preview/", views_authoring.preview, name="preview"),
    path("write/<slug:slug>/", views_authoring.edit_course, name="edit_course"),
    path("write/<slug:slug>/assign/", views_authoring.assign, name="assign"),
    path("write/<slug:slug>/lessons/new/", views_authoring.edit_lesson, name="new_lesson"),
    path("write/<slug:slug>/<slug:lesson>/", views_authoring.edit_lesson, name="edit_lesson"),
    path(
        "write/<slug:slug>/<slug:lesson>/question/",
        views_authoring.edit_question,
        name="new_question",
    ),
    path(
        "write/<slug:slug>/<slug:lesson>/question/<int:index>/",
        views_authoring.edit_question,
        name="edit_question",
    ),
    path("write/<slug:slug>/<slug:lesson>/history/", views_authoring.history, name="history"),
]
