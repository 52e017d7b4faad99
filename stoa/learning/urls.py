from django.urls import path

from stoa.learning import search, views

app_name = "learning"

step = "courses/<slug:slug>/steps/<id:week>.<id:position>/"
urlpatterns = [
    path("my-courses/", views.my_courses, name="my_courses"),
    path("courses/<slug:slug>/", views.course, name="course"),
    path("courses/<slug:slug>/join/", views.join, name="join"),
    path("courses/<slug:slug>/welcome/", views.welcome, name="welcome"),
    path("courses/<slug:slug>/leave/", views.leave, name="leave"),
    path("courses/<slug:slug>/continue/", views.continue_course, name="continue"),
    path("courses/<slug:slug>/todo/", views.todo, name="todo"),
    path("courses/<slug:slug>/progress/", views.progress, name="progress"),
    path("courses/<slug:slug>/search/", search.search, name="search"),
    path(step, views.step, name="step"),
    path(step + "complete/", views.complete, name="complete"),
    path(step + "uncomplete/", views.uncomplete, name="uncomplete"),
    path(step + "week-sentiment/", views.week_sentiment, name="week_sentiment"),
    path(step + "video-stats/", views.video_stats, name="video_stats"),
    path(step + "transcript.vtt", views.transcript_vtt, name="transcript_vtt"),
    path(step + "transcript.txt", views.transcript_text, name="transcript_text"),
]
