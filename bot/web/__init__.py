"""Web chat: the JSON API and the page at /."""
