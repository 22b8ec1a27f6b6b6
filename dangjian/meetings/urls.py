from django.urls import path

from . import views, views_review

app_name = "meetings"
urlpatterns = [
    path("", views.meeting_list, name="list"),
    path("new/", views.meeting_new, name="new"),
    path("compliance/", views.compliance_view, name="compliance"),
    path("record-book.docx", views.record_book, name="record_book"),
    path("<int:pk>/", views.meeting_detail, name="detail"),
    path("<int:pk>/qr/", views.meeting_qr, name="qr"),
    path("<int:pk>/sign-in/", views.sign_in, name="sign_in"),
    path("<int:pk>/leave/", views.leave, name="leave"),
    path("<int:pk>/mark/", views.mark, name="mark"),
    path("<int:pk>/vote/", views.vote, name="vote"),
    path("<int:pk>/minutes/", views.minutes, name="minutes"),
    path("<int:pk>/attach/", views.attach, name="attach"),
    path("<int:pk>/minutes.docx", views.minutes_docx, name="minutes_docx"),
    path("reviews/", views_review.review_list, name="reviews"),
    path("reviews/<int:pk>/", views_review.review_detail, name="review_detail"),
    path("reviews/<int:pk>/self/", views_review.review_self, name="review_self"),
    path("reviews/<int:pk>/rate/", views_review.review_rate, name="review_rate"),
    path("reviews/<int:pk>/propose/", views_review.review_propose, name="review_propose"),
    path("reviews/<int:pk>/confirm/", views_review.review_confirm, name="review_confirm"),
]
