"""moto's server for the benchmark, serving one request at a time.

`moto_server` answers each connection on its own thread, and moto's
DynamoDB is not safe under concurrent requests: `TransactWriteItems`
deep-copies the table while other threads write to it ("dictionary changed
size during iteration", a 500) and, when a transaction is cancelled, puts
that copy back, losing every write other requests made meanwhile (a
sender's claim vanishes and its "sent" record then fails as a Conflict).
DynamoDB serialises conditional writes per item; this launcher makes moto
do the same by serialising whole requests. Connections are still accepted
and kept alive on their own threads (as `moto_server` does); only moto's
handling of a request holds the lock. Request counts are unaffected; a
request's time then includes its wait for the requests ahead of it.

Usage: python moto_serial.py HOST PORT (started by bench/run.sh).
"""

import os
import signal
import sys
import threading

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import run_simple


class OneAtATime:
    """A WSGI app that lets one request at a time into `app`, body included."""

    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        with self.lock:
            body = self.app(environ, start_response)
            try:
                return [b"".join(body)]
            finally:
                close = getattr(body, "close", None)
                if close is not None:
                    close()


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    os.environ.setdefault("MOTO_PORT", str(port))  # as moto_server
    # Stop at once: moto keeps everything in memory, and an orderly exit was seen to spin for minutes
    # after a long run (tearing down its tables).
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    app = DomainDispatcherApplication(create_backend_app)
    app.debug = True  # as moto_server: tracebacks in the log
    run_simple(host, port, OneAtATime(app), threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
