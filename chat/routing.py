from django.urls import re_path

from chat.consumers import ChatConsumer
from chat.rooms_socket import RoomsConsumer
from project.ops.logs import SocketEvents

websocket_urlpatterns = [
    # Any text at all as the slug, even with a "/" or a newline: the consumer refuses a slug
    # no room can have with 4404, where a route that did not match would end the handshake
    # with an error and a traceback. SocketEvents: the socket's log lines and open-socket
    # count, outside the consumer.
    re_path(r"^ws/chat/(?P<slug>(?s:.*))/$", SocketEvents(ChatConsumer.as_asgi())),
    # The person's rooms, for the sidebar: activity, reads, joins and leaves (no room).
    re_path(r"^ws/rooms/$", SocketEvents(RoomsConsumer.as_asgi())),
]
