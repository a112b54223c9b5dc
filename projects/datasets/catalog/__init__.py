"""Dataset specs, one module per source; each registers its datasets when imported.

Modules here must not import numpy (or any data library) at import time: their loaders
import what they need when they run, so listing the datasets stays cheap.
"""
