"""The floor: a bare waitress application that reads the body and answers without a model.

Usage: ``python floor_app.py PORT [THREADS]``.
"""

from __future__ import annotations

import sys

BODY = b'{"predictions": [0]}'


def app(environ, start_response):
    length = int(environ.get("CONTENT_LENGTH") or 0)
    if length:
        environ["wsgi.input"].read(length)
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(BODY)))])
    return [BODY]


if __name__ == "__main__":
    import waitress

    threads = int(sys.argv[2]) if len(sys.argv) > 2 else 8
    waitress.serve(app, host="127.0.0.1", port=int(sys.argv[1]), threads=threads, _quiet=True)
