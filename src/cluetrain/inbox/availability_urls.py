from django.urls import path

from cluetrain.inbox import availability_views

app_name = "availability"

urlpatterns = [
    path("me/availability/", availability_views.mine, name="mine"),
    path("me/questions/", availability_views.my_questions, name="questions"),
    path("me/questions/<int:pk>/answer/", availability_views.answer, name="answer"),
    path("settings/availability/", availability_views.directory, name="directory"),
    path("settings/availability/<int:pk>/", availability_views.someone, name="someone"),
    path("settings/availability/<int:pk>/topic/", availability_views.topic, name="topic"),
]
