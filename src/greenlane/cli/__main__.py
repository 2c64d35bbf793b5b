"""``python -m greenlane.cli``: how ``serve`` starts the background worker."""

from greenlane.cli import main

main()
