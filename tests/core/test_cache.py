"""The cache is shared by every app node: Redis when REDIS_URL is set."""

from __future__ import annotations

import os
import uuid

import pytest
from django.conf import settings
from django.core.cache import cache


@pytest.mark.redis
@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL is not set: the Redis cache is not configured")
def test_the_cache_round_trips_through_redis():
    import redis

    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    key = f"dangjian-test-{uuid.uuid4().hex}"
    cache.set(key, {"unread": 3, "name": "张三"}, timeout=60)
    try:
        assert cache.get(key) == {"unread": 3, "name": "张三"}
        server = redis.Redis.from_url(settings.REDIS_URL)
        assert list(server.scan_iter(match=f"*{key}")), "the value is not in Redis"
    finally:
        cache.delete(key)
    assert cache.get(key) is None


def test_the_cache_is_shared_between_processes(db):
    """Without Redis the database cache is used, never a per-process memory cache."""
    assert "locmem" not in settings.CACHES["default"]["BACKEND"].lower()
    key = f"dangjian-test-{uuid.uuid4().hex}"
    cache.set(key, 42, timeout=60)
    assert cache.get(key) == 42
    cache.delete(key)
