from django.urls import path

from cluetrain.practice import views

app_name = "practice"

urlpatterns = [
    path("", views.index, name="index"),
    path("check/", views.check, name="check"),
    path("post/", views.post, name="post"),
    path("scenarios/", views.scenario_list, name="scenarios"),
    path("scenarios/start/", views.start, name="start"),
    path("threads/<int:thread_id>/reply/", views.reply, name="reply"),
    path("messages/<int:message_id>/submit/", views.submit, name="submit"),
    path("messages/<int:message_id>/grade/", views.grade, name="grade"),
    path("messages/<int:message_id>/comment/", views.comment, name="comment"),
    path("mentoring/", views.mentoring, name="mentoring"),
    path("mentoring/exercises/", views.create_exercise, name="create_exercise"),
    path(
        "mentoring/exercises/<int:exercise_id>/close/",
        views.close_exercise,
        name="close_exercise",
    ),
    path("learners/<int:person_id>/", views.learner, name="learner"),
]
