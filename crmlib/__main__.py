"""``python -m crmlib`` is the ``crmlib`` command."""

from crmlib.cli import main

raise SystemExit(main())
