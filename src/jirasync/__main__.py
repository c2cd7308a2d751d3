"""`python -m jirasync`."""

from jirasync.cli import main

main()
