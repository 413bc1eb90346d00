// Binomial heads with a uniform Beta(1, 1) prior: the bend could have pushed the bias anywhere in [0, 1].
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
