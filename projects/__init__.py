"""Deepwire's Qt-free core: the project document, files, validation, compiler and CLI."""
