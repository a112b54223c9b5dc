"""Deepwire's Qt front end: windows, canvas, palette, inspector, dashboard."""
