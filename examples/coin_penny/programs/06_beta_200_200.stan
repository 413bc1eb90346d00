// Very strong prior belief in a fair coin: Beta(200, 200) on the bias (sd about 0.025), binomial heads.
data {
  int num_flips;
  int num_heads;
}
parameters {
  real<lower=0, upper=1> bias;
}
model {
  bias ~ beta(200, 200);
  num_heads ~ binomial(num_flips, bias);
}
