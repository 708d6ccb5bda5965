"""The WSGI app gunicorn serves (app:app): /health for the ready check, anything else says
which worker answered."""
import os


def app(environ, start_response):
    if environ["PATH_INFO"] == "/health":
        body = "ok\n"
    else:
        body = f"hello from gunicorn worker {os.getpid()}: {environ['REQUEST_METHOD']} {environ['PATH_INFO']}\n"
    start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
    return [body.encode()]
