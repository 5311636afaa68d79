"""Reports built from published data, for readers who are not programmers."""
