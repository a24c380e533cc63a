"""Web application: FastAPI app factory, JSON API, server-rendered pages, auth and charts."""
