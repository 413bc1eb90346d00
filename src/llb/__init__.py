"""llb: calibrated Bayesian answers from an informal problem description and data.

Large Language Bayes (Domke, 2025): an LLM writes many candidate Stan programs, each is fitted with
NUTS and weighted by its marginal likelihood, and the posteriors of the quantity of interest are
averaged with those weights.
"""

__version__ = "0.1.0"
