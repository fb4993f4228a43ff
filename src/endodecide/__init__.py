"""endodecide: an educational, rule-based teaching tool for endocrine resistance in HR+ MBC."""

from endodecide.disclaimer import DISCLAIMER

__all__ = ["DISCLAIMER", "__version__"]
__version__ = "0.1.0"
