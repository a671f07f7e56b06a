"""Surfaces for coding agents: the MCP server over stdio."""
