// Pennies are slightly heavier on the head side, which may tilt flips a hair towards tails: the bias is
// normal(0.495, 0.02), truncated to [0, 1]. Binomial heads.
data {
  int num_flips;
  int num_heads;
}
parameters {
  real<lower=0, upper=1> bias;
}
model {
  bias ~ normal(0.495, 0.02) T[0, 1];
  num_heads ~ binomial(num_flips, bias);
}
