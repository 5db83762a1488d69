"""The device model: predicted seconds per node and per network on a device, from multiply-adds, memory
access and op class (``costmodel.device.model`` states the formula), and ``calibrate()``, which fits it on
this machine from micro-benchmarks (``costmodel.device.calibrate``).

    device = load_device("this")          # or "cpu", "gpu", or a device file
    prediction = device.predict(graph)    # .total seconds, .layers (per node), .seconds, .share(names)
"""
from .calibrate import calibrate
from .files import PROFILES, ROOFLINES, config_path, load_device, parse_device, read_device
from .model import CLASSES, Device, LayerTime, Prediction, Rates, analysed, device_class, duration, is_slow, padding_waste

__all__ = ["CLASSES", "PROFILES", "ROOFLINES", "Device", "LayerTime", "Prediction", "Rates", "analysed", "calibrate",
           "config_path", "device_class", "duration", "is_slow", "load_device", "padding_waste", "parse_device",
           "read_device"]
