"""Device set-up that must happen before TensorFlow starts its runtime."""

from __future__ import annotations


def split_cpu(replicas: int) -> None:
    """Expose the CPU as ``replicas`` logical devices, so MirroredStrategy can run on a
    machine without GPUs (for trying distribution out, and for tests)."""
    import tensorflow as tf

    cpus = tf.config.list_physical_devices("CPU")
    tf.config.set_logical_device_configuration(
        cpus[0], [tf.config.LogicalDeviceConfiguration() for _ in range(replicas)])
