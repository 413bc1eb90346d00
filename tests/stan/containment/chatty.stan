// A valid program that prints at every evaluation of its density.
data {
  int<lower=0> num_flips;
  int<lower=0, upper=num_flips> num_heads;
}
parameters {
  real<lower=0, upper=1> bias;
}
model {
  print("evaluating at bias = ", bias);
  bias ~ beta(3, 3);
  num_heads ~ binomial(num_flips, bias);
}
