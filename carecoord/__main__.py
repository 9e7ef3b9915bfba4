from carecoord.cli import main

raise SystemExit(main())
