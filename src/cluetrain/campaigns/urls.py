from django.urls import path

from cluetrain.campaigns import views, views_costs

app_name = "campaigns"

urlpatterns = [
    path("", views.index, name="index"),
    path("objectives/new/", views.objective_form, name="objective_new"),
    path("objectives/<int:objective_id>/", views.objective, name="objective"),
    path("objectives/<int:objective_id>/edit/", views.objective_form, name="objective_edit"),
    path("new/", views.campaign_form, name="campaign_new"),
    path("<int:campaign_id>/", views.campaign, name="campaign"),
    path("<int:campaign_id>/edit/", views.campaign_form, name="campaign_edit"),
    path("<int:campaign_id>/attach/", views.attach, name="attach"),
    path("<int:campaign_id>/detach/", views.detach, name="detach"),
    path("cost/", views_costs.cost, name="cost"),
    path("cost.csv", views_costs.cost, {"kind": "csv"}, name="cost_csv"),
    path("cost/rates/", views_costs.rates_page, name="rates"),
    path("cost/rates/set/", views_costs.set_rate, name="set_rate"),
    path("cost/rates/<int:rate_id>/remove/", views_costs.remove_rate, name="remove_rate"),
]
