from django.urls import path

from cluetrain.inbox import views, views_actions

app_name = "inbox"

urlpatterns = [
    path("", views.index, name="index"),
    path("rows/", views.rows, name="rows"),
    path("queues/", views.queue_counts, name="queues"),
    path("people/", views.people, name="people"),
    path("views/", views.saved_views, name="views"),
    path("views/save/", views_actions.save_view, name="save_view"),
    path("views/<int:pk>/delete/", views_actions.delete_view, name="delete_view"),
    path("saved-replies/save/", views_actions.save_reply, name="save_reply"),
    path("saved-replies/<int:pk>/delete/", views_actions.delete_reply, name="delete_reply"),
    path("bulk/", views_actions.bulk, name="bulk"),
    path("heartbeat/", views_actions.heartbeat, name="heartbeat"),
    path("c/<int:pk>/", views.conversation, name="conversation"),
    path("c/<int:pk>/status/", views_actions.set_status, name="status"),
    path("c/<int:pk>/assign/", views_actions.assign, name="assign"),
    path("c/<int:pk>/claim/", views_actions.claim, name="claim"),
    path("c/<int:pk>/tag/", views_actions.tag, name="tag"),
    path("c/<int:pk>/snooze/", views_actions.snooze, name="snooze"),
    path("c/<int:pk>/note/", views_actions.note, name="note"),
    path("c/<int:pk>/ask/", views_actions.ask, name="ask"),
    path("c/<int:pk>/correct/", views_actions.correct, name="correct"),
    path("c/<int:pk>/reply/", views_actions.reply, name="reply"),
    path("c/<int:pk>/reply/check/", views_actions.reply_check, name="reply_check"),
]
