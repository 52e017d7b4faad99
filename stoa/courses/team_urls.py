from django.urls import path

from stoa.courses import team_views

app_name = "team"
urlpatterns = [
    path("teach/<slug:slug>/team/", team_views.team, name="list"),
    path("teach/<slug:slug>/team/invite/", team_views.invite, name="invite"),
    path("teach/<slug:slug>/team/<id:member_id>/role/", team_views.change_role, name="role"),
    path("teach/<slug:slug>/team/<id:member_id>/remove/", team_views.remove, name="remove"),
    path(
        "teach/<slug:slug>/team/invitations/<id:invitation_id>/cancel/",
        team_views.cancel,
        name="cancel",
    ),
    # The emailed link: public, since the invited person may have no account yet.
    path("invitations/<str:token>/", team_views.invitation, name="invitation"),
]
