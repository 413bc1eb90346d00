// The bias of a penny is normal(0.5, 0.05) truncated to the unit interval; the heads count is binomial.
data {
  int num_flips; // number of times the coin was flipped
  int num_heads; // number of flips that came up heads
}
parameters {
  real<lower=0, upper=1> bias;
}
model {
  bias ~ normal(0.5, 0.05) T[0, 1];
  num_heads ~ binomial(num_flips, bias);
}
