// Mixture prior: half the time the press barely changed the coin (Beta(20, 20) around 0.5), half the
// time it is badly bent (U-shaped Beta(0.5, 0.5)). Heads are binomial.
data {
  int num_flips;
  int num_heads;
}
parameters {
  real<lower=0, upper=1> bias;
}
model {
  target += log_mix(0.5, beta_lpdf(bias | 20, 20), beta_lpdf(bias | 0.5, 0.5));
  num_heads ~ binomial(num_flips, bias);
}
