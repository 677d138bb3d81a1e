"""`python -m inspector` runs the respdeck command."""

from .cli import main

main()
