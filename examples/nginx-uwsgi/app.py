"""The WSGI app uWSGI serves (wsgi-file = app.py): says which worker answered, as which user."""
import os
import pwd


def application(environ, start_response):
    user = pwd.getpwuid(os.getuid()).pw_name
    body = f"hello from uWSGI worker {os.getpid()} as {user}: {environ['REQUEST_METHOD']} {environ['PATH_INFO']}\n"
    start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
    return [body.encode()]
