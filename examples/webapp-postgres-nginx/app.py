"""The web app gunicorn serves (app:app): notes kept in PostgreSQL's table `notes` (schema.sql).
  POST /notes   the request body becomes a note; answers {"id": ..., "body": ...}
  GET  /notes   every note, oldest first
  GET  /health  200 once the database answers (taskmux's ready check)
It connects with libpq's PGHOST, PGPORT, PGUSER, PGPASSWORD and PGDATABASE from config.toml."""
import json

import psycopg2


def query(sql, args=()):
    """Runs one statement in a transaction of its own, on a connection of its own."""
    conn = psycopg2.connect("")
    try:
        with conn, conn.cursor() as cur:
            cur.execute(sql, args)
            return cur.fetchall()
    finally:
        conn.close()


def app(environ, start_response):
    path, method = environ["PATH_INFO"], environ["REQUEST_METHOD"]
    if path == "/health":
        status, answer = "200 OK", {"database": query("SELECT 'ok'")[0][0]}
    elif path == "/notes" and method == "POST":
        text = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)).decode()
        (note_id,) = query("INSERT INTO notes (body) VALUES (%s) RETURNING id", (text,))[0]
        status, answer = "201 Created", {"id": note_id, "body": text}
    elif path == "/notes":
        rows = query("SELECT id, body FROM notes ORDER BY id")
        status, answer = "200 OK", [{"id": i, "body": body} for i, body in rows]
    else:
        status, answer = "404 Not Found", {"error": f"no {method} {path}"}
    start_response(status, [("Content-Type", "application/json")])
    return [json.dumps(answer).encode() + b"\n"]
