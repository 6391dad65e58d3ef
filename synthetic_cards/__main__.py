"""``python -m synthetic_cards OUT_DIR --count N [--size 1280x720]``: see the package."""

from synthetic_cards import main

raise SystemExit(main())
