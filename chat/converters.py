"""URL converters for the chat's routes."""


class RoomSlugConverter:
    """A room slug as `Room.slug_for` makes them: 1-100 Unicode letters, digits, "_" and "-".

    Anything else (a NUL byte, a space, a dot) can name no room, so such a URL does not match
    and the answer is 404 before any query: PostgreSQL would refuse a NUL outright (500).
    """

    regex = r"[-\w]{1,100}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value
