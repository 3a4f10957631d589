import logging
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
# Python warnings become log lines like any other (one JSON object each with LOG_FORMAT=json)
# instead of raw text on stderr.
logging.captureWarnings(True)

# Django must be set up before anything imports models, consumers included.
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from accounts.websocket import SessionAuthMiddleware  # noqa: E402
from chat.origin import SameOriginValidator  # noqa: E402
from chat.routing import websocket_urlpatterns  # noqa: E402
from project.ops.endpoints import OpsEndpoints  # noqa: E402
from project.ops.logs import RequestContext  # noqa: E402

# Health and metrics first, outside the request logging and Django (project/ops/endpoints.py).
application = OpsEndpoints(
    RequestContext(
        ProtocolTypeRouter(
            {
                "http": django_asgi_app,
                "websocket": SameOriginValidator(
                    SessionAuthMiddleware(URLRouter(websocket_urlpatterns))
                ),
            }
        )
    )
)
