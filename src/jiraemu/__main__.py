from jiraemu.cli import main

raise SystemExit(main())
