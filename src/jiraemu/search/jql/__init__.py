"""JQL — CONTRACT STUB, see the JQL work.

    query = parse(text)                       # -> Query (AST); JqlError with Jira's message on bad syntax
    render(query) == canonical text
    plan = compile_query(query, ctx)          # ctx: JqlContext
    plan.matches(issue) -> bool ; plan.sort_key(issue) -> tuple ; plan.bounded -> bool
"""
