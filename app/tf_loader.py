"""Loads TensorFlow in the background so the window appears at once
(docs/architecture.md, Garbage collection and threads)."""

from __future__ import annotations

from PySide6.QtCore import QThread, Signal


class TensorFlowLoader(QThread):
    """Imports TensorFlow and Keras and builds one layer, off the GUI thread.

    ``loaded`` carries a short description of the device training will use. The GUI
    thread freezes TensorFlow's objects when it receives it (see app/collector.py); this
    thread never touches the garbage collector.
    """

    loaded = Signal(str)
    failed = Signal(str)

    def run(self) -> None:
        try:
            import keras
            import tensorflow as tf

            keras.layers.Dense(1)(keras.KerasTensor((None, 1)))  # warm Keras's layer machinery
            gpus = tf.config.list_physical_devices("GPU")
            device = f"GPU ({len(gpus)})" if gpus else "CPU"
            self.loaded.emit(f"TensorFlow {tf.__version__} · {device}")
        except Exception as err:  # a broken install must not take the app down
            self.failed.emit(f"TensorFlow could not be loaded: {err}")
