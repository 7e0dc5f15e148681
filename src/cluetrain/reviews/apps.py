from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "cluetrain.reviews"
    label = "reviews"
    verbose_name = "Reviews"
