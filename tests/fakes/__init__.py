"""Local stand-ins for LLM APIs: HTTP servers that speak the real wire protocols, scripted per test."""
