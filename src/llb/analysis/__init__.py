"""Reading Stan programs: declarations and blocks, stanc's typed syntax tree, which statements are
the likelihood and which the prior, the proof (or the refusal) that the prior is normalised, and
the non-centring rewrite."""
