"""The "tutorial" reference: the Channels tutorial's chat, async, with an ORM save.

A tiny self-contained Django project and app in one package: its own settings, one model,
the tutorial's AsyncWebsocketConsumer (group_add on connect, group_send on receive, the
`chat.message` handler) on `channels_redis.core.RedisChannelLayer`, plus one
`await Message.objects.acreate(...)` before the group_send. Served by daphne:

    DJANGO_SETTINGS_MODULE=bench.load.tutorial.settings \
        .venv/bin/daphne -p 8001 bench.load.tutorial.asgi:application

Its frames are the tutorial's: `{"message": "<text>"}` in both directions. The bench
creates and migrates its database (parley_bench_tutorial) and starts it; see
bench/load/servers.py.
"""
