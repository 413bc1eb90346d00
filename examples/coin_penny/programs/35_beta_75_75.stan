// Bias of a standard penny: Beta(75, 75) prior, centred at a fair coin; heads binomial.
data {
  int num_flips;
  int num_heads;
}
parameters {
  real<lower=0, upper=1> bias;
}
model {
  bias ~ beta(75, 75);
  num_heads ~ binomial(num_flips, bias);
}
