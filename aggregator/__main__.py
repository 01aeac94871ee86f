"""``python -m aggregator`` is ``lingong``."""

from aggregator.cli import main

main()
