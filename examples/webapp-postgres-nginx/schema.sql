-- The app's table, made on the database's first start (postgres --single: one statement per line).
SET ROLE app;
CREATE TABLE notes (id serial PRIMARY KEY, body text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
