"""Rendering only: terminal output (rich), plain data for --json, and exports."""
