"""How production serves the app: `gunicorn -c config/gunicorn.conf.py 'market:create_app()'`.

`make run` uses Flask's development server, which is for this machine only; production runs
under gunicorn (behind nginx or another TLS-terminating proxy, with PROXY_HOPS=1).
"""

import os

import gunicorn.http.wsgi

# No software banner: gunicorn sends `Server: gunicorn` on every answer; it goes out empty.
gunicorn.http.wsgi.SERVER = ""

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
