// Strongly U-shaped Beta(0.2, 0.2) prior: a coin bent in a press most likely lands almost always on one
// side. Binomial heads.
data {
  int num_flips;
  int num_heads;
}
parameters {
  real<lower=0, upper=1> bias;
}
model {
  bias ~ beta(0.2, 0.2);
  num_heads ~ binomial(num_flips, bias);
}
