"""URL configuration: web screens per app, the JSON API under /api/v1/, media with Range support."""

from django.contrib import admin
from django.urls import include, path, re_path

from dangjian.api import api
from dangjian.core.media import serve_media

urlpatterns = [
    # The API first: it takes the most requests (an exam's burst of submissions), and Django tries the patterns
    # in order, so the screens' patterns are not tried for each API call.
    path("api/v1/", api.urls),
    path("", include("dangjian.core.urls")),
    path("accounts/", include("dangjian.accounts.urls")),
    path("orgs/", include("dangjian.orgs.urls")),
    path("notices/", include("dangjian.notices.urls")),
    path("dues/", include("dangjian.dues.urls")),
    path("meetings/", include("dangjian.meetings.urls")),
    path("learning/", include("dangjian.learning.urls")),
    path("exams/", include("dangjian.exams.urls")),
    path("points/", include("dangjian.points.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("django-admin/", admin.site.urls),
    re_path(r"^media/(?P<path>.+)$", serve_media, name="media"),
]
