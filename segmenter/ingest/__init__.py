"""Reading customer files: formats, delimiters, numbers, column names, the quality report."""
