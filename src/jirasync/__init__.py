"""jirasync: a Jira connector (library, CLI and service)."""
