"""Server-rendered web pages: Jinja2 templates, one stylesheet, SVG charts drawn on the server."""
