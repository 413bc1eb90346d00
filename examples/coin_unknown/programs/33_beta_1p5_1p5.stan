// Nearly flat Beta(1.5, 1.5) prior that only gently discounts the extremes; binomial heads.
data {
  int num_flips;
  int num_heads;
}
parameters {
  real<lower=0, upper=1> bias;
}
model {
  bias ~ beta(1.5, 1.5);
  num_heads ~ binomial(num_flips, bias);
}
