import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")


# Connected before the app exists, so before Celery's Django fixup, whose receiver of the
# same signal sets Django up (and so imports prometheus_client, which picks its storage as it
# is imported).
@signals.import_modules.connect
def count_into_the_metrics_directory(**kwargs: object) -> None:
    """A worker's prune counts go to the files /metrics reads (project/ops/prometheus.py), and so do
    those of its pool's processes, which start later and inherit the directory."""
    import logging
    import sys

    from django.conf import settings

    from project.ops import prometheus

    if "prometheus_client" in sys.modules:
        logging.getLogger(__name__).warning(
            "prometheus_client was imported before the metrics directory was set: this "
            "process's prune counts will not reach /metrics"
        )
    prometheus.use_directory(settings.METRICS_DIR)


app = Celery("parley")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
