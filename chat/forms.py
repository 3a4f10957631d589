from django import forms


class RoomForm(forms.Form):
    name = forms.CharField(max_length=100, label="Room name", strip=True)


class RoomSearchForm(forms.Form):
    q = forms.CharField(max_length=100, required=False, label="Find a room", strip=True)
