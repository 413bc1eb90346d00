// A mixture prior: with probability 0.9 the coin is a standard, essentially fair penny (Beta(500, 500));
// otherwise it is a slightly biased coin (Beta(20, 20)). Heads are binomial.
data {
  int num_flips;
  int num_heads;
}
parameters {
  real<lower=0, upper=1> bias;
}
model {
  target += log_mix(0.9, beta_lpdf(bias | 500, 500), beta_lpdf(bias | 20, 20));
  num_heads ~ binomial(num_flips, bias);
}
