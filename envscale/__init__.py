"""envscale: scaled, simulated, verifiable environments for training tool-using agents."""

__version__ = "0.1.0"
