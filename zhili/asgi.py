"""The ASGI application for uvicorn or any ASGI server: `uvicorn zhili.asgi:app`."""

from zhili.app import create_app

app = create_app()
