import os
import socket
import time

from celery import shared_task


@shared_task(name="core.ping")
def ping(sent_at: float) -> dict:
    """Round trip through the broker: proves a worker is alive and consuming."""
    return {
        "hostname": socket.gethostname(),
        "pid": os.getpid(),
        "sent_at": sent_at,
        "received_at": time.time(),
    }
