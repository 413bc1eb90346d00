// A penny should be close to fair, but coin flips are not perfectly random either: a moderately
// informative Beta(20, 20) prior on the bias, binomial heads.
data {
  int num_flips; // number of times the coin was flipped
  int num_heads; // number of flips that came up heads
}
parameters {
  real<lower=0, upper=1> bias;
}
model {
  bias ~ beta(20, 20);
  num_heads ~ binomial(num_flips, bias);
}
