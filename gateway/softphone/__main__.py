from gateway.softphone.cli import main

raise SystemExit(main())
