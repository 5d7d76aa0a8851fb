"""What gunicorn (`gunicorn wsgi:app`) and `flask --app wsgi` load."""

from returnees import create_app
from returnees.core.heap import settle_heap

app = create_app()
settle_heap()
