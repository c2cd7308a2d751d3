"""Issue routes. Two lists so reads and writes are built side by side: edit only your own list."""

from jiraemu.http import Route

READ_ROUTES: list[Route] = []
WRITE_ROUTES: list[Route] = []

ROUTES = READ_ROUTES + WRITE_ROUTES
