"""Statistics on draws, needing only numpy and scipy: summaries and convergence diagnostics, marginal
likelihood estimators, and the evidence-weighted combination of programs' posteriors."""
