from gateway.sandbox.softphone.cli import main

raise SystemExit(main())
