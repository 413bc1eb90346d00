// Mildly U-shaped Beta(0.7, 0.7) prior on the bias: a bent coin is more likely than not to be clearly
// biased, but a near-fair one is still plausible. Binomial heads.
data {
  int num_flips;
  int num_heads;
}
parameters {
  real<lower=0, upper=1> bias;
}
model {
  bias ~ beta(0.7, 0.7);
  num_heads ~ binomial(num_flips, bias);
}
