"""``python -m common.content [content_dir]``: validate every content file and print a summary."""

from common.content.validation import main

raise SystemExit(main())
