from django.urls import path

from stoa.assessments.peer import views

app_name = "peer"

step = "courses/<slug:slug>/steps/<id:week>.<id:position>/peer-review/"
work = step + "work/<id:submission_id>/"
review = step + "reviews/<id:review_id>/"
moderation = "courses/<slug:slug>/moderation/peer-review/"
urlpatterns = [
    path(step + "work/", views.work, name="work"),
    path(step + "start/", views.start, name="start"),
    path(work + "review/", views.review, name="review"),
    path(work + "report/", views.report_work, name="report_work"),
    path(review + "report/", views.report_review, name="report_review"),
    path(moderation + "work/<id:submission_id>/hide/", views.hide_work, name="hide_work"),
    path(moderation + "work/<id:submission_id>/restore/", views.restore_work, name="restore_work"),
    path(moderation + "work/<id:submission_id>/dismiss/", views.dismiss_work, name="dismiss_work"),
    path(moderation + "reviews/<id:review_id>/hide/", views.hide_review, name="hide_review"),
    path(
        moderation + "reviews/<id:review_id>/restore/", views.restore_review, name="restore_review"
    ),
    path(
        moderation + "reviews/<id:review_id>/dismiss/", views.dismiss_review, name="dismiss_review"
    ),
]
