"""What gunicorn (`gunicorn wsgi:app`) and `flask --app wsgi` load."""

from returnees import create_app

app = create_app()
