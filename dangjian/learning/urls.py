from django.urls import path

from . import views, views_manage, views_social

app_name = "learning"
urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search_view, name="search"),
    path("map/", views.my_map, name="map"),
    path("map/branch/", views.branch_map, name="branch_map"),
    path("resources/new/", views_manage.resource_edit, name="resource_new"),
    path("resources/<int:pk>/", views.resource_detail, name="resource"),
    path("resources/<int:pk>/media", views.media, name="media"),
    path("resources/<int:pk>/edit/", views_manage.resource_edit, name="resource_edit"),
    path(
        "resources/<int:pk>/do/<str:action>/", views_manage.shared_action, {"kind": "resource"}, name="resource_action"
    ),
    path("courses/<int:pk>/do/<str:action>/", views_manage.shared_action, {"kind": "course"}, name="course_action"),
    path("review/", views_manage.review, name="review"),
    path("courses/", views.course_list, name="courses"),
    path("courses/new/", views_manage.course_edit, name="course_new"),
    path("courses/<int:pk>/", views.course_detail, name="course"),
    path("courses/<int:pk>/edit/", views_manage.course_edit, name="course_edit"),
    path("maps/", views_manage.map_list, name="maps"),
    path("maps/<int:pk>/", views_manage.map_detail, name="map_detail"),
    path("maps/<int:pk>/items/<int:item>/remove/", views_manage.map_item_remove, name="map_item_remove"),
    path("reflections/", views_social.reflection_list, name="reflections"),
    path("reflections/new/", views_social.reflection_new, name="reflection_new"),
    path("reflections/<int:pk>/", views_social.reflection_detail, name="reflection"),
    path(
        "reflections/<int:pk>/comments/<int:comment>/<str:action>/", views_social.comment_action, name="comment_action"
    ),
    path("reflections/<int:pk>/<str:action>/", views_social.reflection_action, name="reflection_action"),
]
