"""`python -m auditor.feed run|watch|report ...`: the feed commands without the `auditor` shell."""

from auditor.cli.feed import main

main()
