"""Reports for papers: theme reports, framework matrices, charts. They write to a path
or a file object and never print."""
