// A US penny is close to fair: a Beta(50, 50) prior concentrates the bias near 0.5.
data {
  int<lower=0> num_flips;
  int<lower=0, upper=num_flips> num_heads;
}
parameters {
  real<lower=0, upper=1> bias;
}
model {
  bias ~ beta(50, 50);
  num_heads ~ binomial(num_flips, bias);
}
