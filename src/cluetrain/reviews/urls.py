from django.urls import path

from cluetrain.reviews import views

app_name = "reviews"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("<int:pk>/approve/", views.approve, name="approve"),
    path("<int:pk>/changes/", views.request_changes, name="changes"),
    path("<int:pk>/comment/", views.comment, name="comment"),
    path("autonomy/", views.autonomy, name="autonomy"),
    path("autonomy/level/", views.set_level, name="set_level"),
    path("autonomy/policy/", views.save_policy, name="policy"),
    path("autonomy/proposals/<int:pk>/confirm/", views.confirm_promotion, name="confirm"),
    path("autonomy/proposals/<int:pk>/decline/", views.decline_promotion, name="decline"),
]
