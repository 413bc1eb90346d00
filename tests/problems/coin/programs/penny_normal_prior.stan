// Bias near one half with a normal prior (its tails beyond [0, 1] are cut off by llb's truncation).
data {
  int<lower=0> num_flips;
  int<lower=0, upper=num_flips> num_heads;
}
parameters {
  real<lower=0, upper=1> bias;
}
model {
  bias ~ normal(0.5, 0.05);
  num_heads ~ binomial(num_flips, bias);
}
