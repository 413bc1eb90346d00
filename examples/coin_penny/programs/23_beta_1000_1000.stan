// Almost certainly a standard penny, which is fair to within a percent: Beta(1000, 1000) prior on the
// bias, binomial heads.
data {
  int num_flips;
  int num_heads;
}
parameters {
  real<lower=0, upper=1> bias;
}
model {
  bias ~ beta(1000, 1000);
  num_heads ~ binomial(num_flips, bias);
}
