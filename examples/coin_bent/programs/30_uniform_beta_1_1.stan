// Uniform Beta(1, 1) prior: the bent coin's bias could be anywhere between 0 and 1. Binomial heads.
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
