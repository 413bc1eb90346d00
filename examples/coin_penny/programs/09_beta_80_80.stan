// Binomial heads with a Beta(80, 80) prior: a standard US penny is fair up to manufacturing noise.
data {
  int num_flips;
  int num_heads;
}
parameters {
  real<lower=0, upper=1> bias;
}
model {
  bias ~ beta(80, 80)
  num_heads ~ binomial(num_flips, bias);
}
