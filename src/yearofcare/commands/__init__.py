"""CLI command groups, one module each; every module only parses options and calls a service."""
