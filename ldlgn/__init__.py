"""ldlgn: Light Differentiable Logic Gate Networks, from training to verified hardware."""
__version__ = "0.1.0"
