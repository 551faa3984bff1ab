from tghub.cli import main

raise SystemExit(main())
