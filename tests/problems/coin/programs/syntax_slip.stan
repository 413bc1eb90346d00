data {
  int<lower=0> num_flips;
  int<lower=0, upper=num_flips> num_heads;
}
parameters {
  real<lower=0, upper=1> bias
}
model {
  bias ~ beta(20, 20);
  num_heads ~ binomial(num_flips, bias);
}
