from django.urls import path

from chat.consumers import ChatConsumer
from ops.logs import SocketEvents

websocket_urlpatterns = [
    # SocketEvents: the socket's log lines and open-socket count, outside the consumer.
    path("ws/chat/<str:slug>/", SocketEvents(ChatConsumer.as_asgi())),
]
