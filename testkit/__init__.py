"""Test support shared by the tests beside each package: paths, fixtures, a local LLM server."""
