// Binomial heads with a Jeffreys Beta(0.5, 0.5) prior, since the bent coin may be strongly biased.
data {
  int num_flips;
  int num_heads;
}
parameters {
  real<lower=0, upper=1> bias;
}
model {
  bias ~ beta(0.5, 0.5);
  num_heads ~ binomial(num_flips, bias)
}
