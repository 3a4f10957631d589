from django.urls import path

from chat import views

app_name = "chat"

urlpatterns = [
    path("", views.index, name="index"),
    path("chat/<str:slug>/", views.room, name="room"),
    path("api/rooms/<str:slug>/messages/", views.messages_api, name="messages_api"),
]
