from django.urls import path, register_converter

from chat import views
from chat.converters import RoomSlugConverter

app_name = "chat"

register_converter(RoomSlugConverter, "room_slug")

urlpatterns = [
    path("", views.index, name="index"),
    path("chat/<room_slug:slug>/", views.room, name="room"),
    path("chat/<room_slug:slug>/leave/", views.leave, name="leave"),
    path("api/rooms/", views.my_rooms_api, name="my_rooms_api"),
    path("api/rooms/<room_slug:slug>/members/", views.members_api, name="members_api"),
    path("api/search/", views.search_api, name="search_api"),
    path("api/rooms/<room_slug:slug>/messages/", views.messages_api, name="messages_api"),
]
