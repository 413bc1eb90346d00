// We know nothing about how the press changed the coin, so every bias in [0, 1] is equally plausible:
// Beta(1, 1) prior, binomial heads.
data {
  int num_flips;
  int num_heads;
}
parameters {
  real<lower=0, upper=1> bias;
}
model {
  bias ~ beta(1, 1);
  num_heads ~ binomial(num_flips, bias);
}
