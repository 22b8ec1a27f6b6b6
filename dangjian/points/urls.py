from django.urls import path

from . import views

app_name = "points"
urlpatterns = [
    path("", views.mine, name="mine"),
    path("entries/<int:pk>/", views.entry_facts, name="entry_facts"),
    path("board/", views.board, name="board"),
    path("board/persons/", views.board_persons, name="board_persons"),
    path("rules/", views.rules, name="rules"),
]
